"""Mail templates: subject, text and HTML bodies per language, rendered for one recipient
through the mail policies of ``core.sandbox``, in the recipient's language and time zone
(the ``date``, ``datetime``, ``number`` and ``money`` filters format for them)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from jinja2 import Template, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError

from core.metadata.diagnostics import Diagnostic
from core.metadata.yaml_source import YamlSyntaxError, parse_yaml
from core.sandbox import MAIL_HTML, MAIL_TEXT, LimitExceeded, sandbox_for

DEFAULT_LANGUAGE = "en"
TEMPLATE_PARTS = ("subject", "body", "html")


class MailTemplateError(Exception):
    """A mail template is malformed, or rendering it failed."""



_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


@dataclass(frozen=True)
class RenderedMail:
    """A template rendered for one recipient."""

    subject: str
    text: str
    html: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class MailTemplate:
    """Subject, text body and optional HTML body, each as ``{language: jinja source}``."""

    name: str
    subject: Mapping[str, str]
    body: Mapping[str, str]
    html: Mapping[str, str] | None = None
    lines: Mapping[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        languages: set[str] | None = None
        for part in TEMPLATE_PARTS:
            variants = getattr(self, part)
            if variants is None and part == "html":
                continue
            if not isinstance(variants, Mapping) or not variants:
                raise MailTemplateError(f"mail template {self.name!r}: {part} must map"
                                        f" languages to text, e.g. {part}: {{en: ...}}")
            for language, source in variants.items():
                if not isinstance(source, str):
                    raise MailTemplateError(f"mail template {self.name!r}: {part}.{language}"
                                            " must be text")
            if languages is None:
                languages = set(variants)
            elif set(variants) != languages:
                raise MailTemplateError(
                    f"mail template {self.name!r}: {part} has languages"
                    f" {', '.join(sorted(variants))} but subject has"
                    f" {', '.join(sorted(languages))}")

    @classmethod
    def from_yaml(cls, text: str, name: str = "mail template") -> MailTemplate:
        """Parse the YAML form (``subject``/``body``/optional ``html``, each per language)."""
        try:
            document = parse_yaml(text, name)
        except YamlSyntaxError as exc:
            where = exc.diagnostic
            raise MailTemplateError(f"mail template {where.file} line {where.line}:"
                                    f" {where.message}") from None
        data = document.data
        if not isinstance(data, dict):
            raise MailTemplateError(f"mail template {name!r}: expected a mapping with subject"
                                    " and body")
        unknown = sorted(set(data) - set(TEMPLATE_PARTS))
        if unknown:
            line = document.line_of([unknown[0]])
            raise MailTemplateError(f"mail template {name!r} line {line}: unknown key(s)"
                                    f" {', '.join(unknown)}; expected subject, body, html")
        source_lines = text.splitlines()
        lines: dict[tuple[str, str], int] = {}
        for part in TEMPLATE_PARTS:
            if not isinstance(data.get(part), dict):
                continue
            for language in data[part]:
                line = document.line_of([part, language])
                key_text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
                lines[part, language] = line + 1 if _BLOCK_SCALAR.search(key_text) else line
        return cls(name=name, subject=data.get("subject"), body=data.get("body"),
                   html=data.get("html"), lines=lines)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the template is written in, in declaration order."""
        return tuple(self.subject)

    def pick_language(self, language: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
        """The variant to use: ``language``, its primary subtag, ``fallback``, else the first."""
        by_key = {key.lower().replace("_", "-"): key for key in self.subject}
        wanted = (language or "").lower().replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0], fallback.lower()):
            if candidate in by_key:
                return by_key[candidate]
        return self.languages[0]


@cache
def _formatting_language(language: str) -> str | None:
    """``language`` when Babel knows it (its dates and numbers), else None (English)."""
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return language


def _compile(template: MailTemplate, part: str, language: str,
             timezone: str | None = None) -> Template:
    """The compiled ``part`` in ``language``: the mail policy's sandbox for the language and
    ``timezone`` compiles it once and keeps it."""
    policy = MAIL_HTML if part == "html" else MAIL_TEXT
    variants = getattr(template, part)
    return sandbox_for(policy, _formatting_language(language), timezone).from_string(
        variants[language])


def _where(template: MailTemplate, part: str, language: str) -> str:
    return f"mail template {template.name!r} ({part}, {language})"


def render_mail(template: MailTemplate, context: Mapping[str, Any], language: str | None,
                fallback: str = DEFAULT_LANGUAGE, timezone: str | None = None) -> RenderedMail:
    """Render subject, text and HTML in the sandbox, formatting dates and numbers in the
    language chosen and in ``timezone`` (None: the default, Europe/Rome); errors become
    ``MailTemplateError``."""
    chosen = template.pick_language(language, fallback)
    out: dict[str, str | None] = {"html": None}
    for part in TEMPLATE_PARTS:
        if getattr(template, part) is None:
            continue
        where = _where(template, part, chosen)
        try:
            out[part] = _compile(template, part, chosen, timezone).render(context)
        except LimitExceeded as exc:
            raise MailTemplateError(f"{where}: stopped by the sandbox: {exc}") from exc
        except SecurityError as exc:
            raise MailTemplateError(f"{where}: refused by the sandbox: {exc}") from exc
        except UndefinedError as exc:
            raise MailTemplateError(f"{where}: undefined variable: {exc}") from exc
        except TemplateSyntaxError as exc:
            raise MailTemplateError(f"{where} line {exc.lineno}: {exc.message}") from exc
        except TemplateError as exc:
            raise MailTemplateError(f"{where}: {exc}") from exc
        except Exception as exc:  # filters and operators on odd data: report, never crash
            raise MailTemplateError(f"{where}: {type(exc).__name__}: {exc}") from exc
    # One line without control characters: no header injection, whatever a record holds.
    subject = "".join(c for c in " ".join((out["subject"] or "").split())
                      if unicodedata.category(c) != "Cc")
    return RenderedMail(subject=subject, text=out["body"] or "", html=out["html"],
                        language=chosen)


def check_template(template: MailTemplate) -> list[Diagnostic]:
    """Compile every part and language; one diagnostic per syntax error, with its line."""
    problems = []
    for part in TEMPLATE_PARTS:
        for language in getattr(template, part) or {}:
            try:
                _compile(template, part, language)
            except TemplateSyntaxError as exc:
                lineno = exc.lineno or 1
                start = template.lines.get((part, language))
                line = start + lineno - 1 if start else lineno
                problems.append(Diagnostic(template.name, line, f"{part}.{language}",
                                           f"template line {lineno}: {exc.message}"))
    return problems


__all__ = ["DEFAULT_LANGUAGE", "TEMPLATE_PARTS", "MailTemplate", "MailTemplateError",
           "RenderedMail", "check_template", "render_mail"]
