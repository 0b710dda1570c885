"""Render a Word template with docxtpl, in the sandbox, within limits of time and size."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError

from core.documents.context import RecordView
from core.documents.values import FileRef, Formatter
from core.sandbox import (
    DOCUMENT,
    Budget,
    LimitExceeded,
    WhitelistedSandbox,
    build_sandbox,
    current_limits,
)

MAX_OUTPUT_BYTES = 20 * 1024 * 1024  # a rendered .docx
MAX_IMAGE_MM = 500


class RenderFailure(Exception):
    """Rendering failed; ``problem`` says why and ``where`` where (may be empty)."""

    def __init__(self, problem: str, where: str = ""):
        self.problem = problem
        self.where = where
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True)
class Limits:
    """How long a render may take and how large its output may be."""

    time_limit: float | None = None  # None: the [sandbox] document_time_limit
    max_output_bytes: int = MAX_OUTPUT_BYTES


class _Image:
    """An image placed in the document; prints as the drawing's XML, nothing else to reach."""

    __slots__ = ("_inline",)

    def __init__(self, inline: InlineImage | None):
        self._inline = inline

    def __html__(self) -> str:
        return str(self._inline) if self._inline is not None else ""

    def __str__(self) -> str:
        return self.__html__()


def image_helper(tpl: DocxTemplate, read_file: Callable[[str], bytes]) -> Callable[..., _Image]:
    """``image(record.photo, width_mm=40)``: an inline image, empty when the field is."""

    def image(ref: Any, width_mm: float | None = None, height_mm: float | None = None) -> _Image:
        if ref is None or ref == "":
            return _Image(None)
        if not isinstance(ref, FileRef):
            raise TemplateError("image() takes an image field, such as record.photo")
        for size in (width_mm, height_mm):
            if size is not None and not 0 < float(size) <= MAX_IMAGE_MM:
                raise TemplateError(f"image sizes go from 1 to {MAX_IMAGE_MM} mm")
        try:
            data = read_file(str(ref))
        except FileNotFoundError:
            raise TemplateError(f"the image of '{ref.field_label}' ({ref.file_name}) is "
                                "missing from the file store") from None
        inline = InlineImage(tpl, io.BytesIO(data),
                             width=Mm(width_mm) if width_mm else None,
                             height=Mm(height_mm) if height_mm else None)
        return _Image(inline)

    return image


def document_budget(time_limit: float | None = None) -> Budget:
    """The budget of one document: the document limits of the ``[sandbox]`` settings."""
    return DOCUMENT.budget(current_limits(), time_limit)


def new_sandbox(formatter: Formatter, budget: Budget | None = None) -> WhitelistedSandbox:
    """The sandbox of the document policy, with the formatting filters of one language."""
    return cast(WhitelistedSandbox, build_sandbox(
        DOCUMENT, formatting=formatter, budget=budget, finalize=formatter.show,
        views=(RecordView,)))


def _template_line(exc: BaseException) -> int | None:
    """The template line an error happened on (Jinja rewrites tracebacks to show it)."""
    lineno = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _where(exc: BaseException, tpl: DocxTemplate, env: WhitelistedSandbox) -> str:
    """``word/document.xml, paragraph 12: «text»``: where an error happened."""
    part = str(getattr(getattr(tpl, "current_rendering_part", None), "partname", "")
               or "/word/document.xml").lstrip("/")
    lineno = _template_line(exc)
    if lineno is None:
        return part
    lines = env.last_source.splitlines()
    text = re.sub(r"<[^>]+>", "", lines[lineno - 1]) if 0 < lineno <= len(lines) else ""
    snippet = " ".join(text.split())[:120]
    where = f"{part}, paragraph {max(lineno - 1, 1)}"
    return f"{where}: «{snippet}»" if snippet else where


def render_docx(template: bytes, context: Mapping[str, Any], formatter: Formatter,
                read_file: Callable[[str], bytes], limits: Limits | None = None) -> bytes:
    """The rendered document; ``RenderFailure`` says what went wrong and where."""
    limits = limits or Limits()
    tpl = DocxTemplate(io.BytesIO(template))
    env = new_sandbox(formatter, document_budget(limits.time_limit))
    values = {**context, "image": image_helper(tpl, read_file)}
    try:
        tpl.render(values, jinja_env=env)
        out = io.BytesIO()
        tpl.save(out)
    except LimitExceeded as exc:
        raise RenderFailure(str(exc), _where(exc, tpl, env)) from None
    except SecurityError as exc:
        raise RenderFailure(f"not allowed: {exc}", _where(exc, tpl, env)) from None
    except TemplateSyntaxError as exc:
        raise RenderFailure(f"syntax error: {exc.message}", _where(exc, tpl, env)) from None
    except TemplateError as exc:
        raise RenderFailure(str(exc.message or exc), _where(exc, tpl, env)) from None
    except OverflowError as exc:  # Jinja's sandbox refusing a huge range()
        raise RenderFailure(str(exc), _where(exc, tpl, env)) from None
    except RecursionError:
        raise RenderFailure("the template calls itself too deeply") from None
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
        raise RenderFailure(str(exc), _where(exc, tpl, env)) from None
    data = out.getvalue()
    if len(data) > limits.max_output_bytes:
        raise RenderFailure(f"the document is larger than "
                            f"{limits.max_output_bytes // (1024 * 1024)} MB")
    return data
