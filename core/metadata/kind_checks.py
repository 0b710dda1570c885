"""Checks that a metadata kind needs beyond its JSON schema, registered for that kind.

``KIND_CHECKS`` maps a kind to the check that reads every document of that kind in the packs
and returns its problems; ``build_registry`` runs them all (``kind_problems``). A kind whose
documents must be built to be known good (a calendar's hours and holidays, a mail template's
Jinja) adds its check here, at the metadata layer, next to the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.calendar import calendar_from_dict
from core.metadata.diagnostics import Diagnostic
from core.metadata.loader import PackSource
from core.metadata.mail_templates import MailTemplate, MailTemplateError, check_template
from core.metadata.yaml_source import SourceDocument

KindCheck = Callable[[Sequence[PackSource]], list[Diagnostic]]


def calendar_documents(packs: Sequence[PackSource]) -> dict[str, SourceDocument]:
    """The packs' calendars by name (a later pack's calendar replaces an earlier one's)."""
    return {doc.data["name"]: doc for pack in packs
            for doc in pack.documents.get("calendar", [])}


def calendar_problems(packs: Sequence[PackSource]) -> list[Diagnostic]:
    """Calendars that do not build (bad hours, timezone, country), at their key's line."""
    problems = []
    for document in calendar_documents(packs).values():
        try:
            calendar_from_dict(document.data)
        except ValueError as exc:
            text = str(exc)
            key = text.split(":", 1)[0] if ":" in text else ""
            path = [p for p in key.replace("[", ".").replace("]", "").split(".") if p]
            path = [int(p) if p.isdigit() else p for p in path]
            problems.append(document.diagnostic(path, text.split(": ", 1)[-1]
                                                if path else text))
    return problems


def mail_template_problems(packs: Sequence[PackSource]) -> list[Diagnostic]:
    """Mail templates that do not parse or compile, with file and line."""
    problems: list[Diagnostic] = []
    for pack in packs:
        for path in sorted((pack.path / "templates" / "mail").glob("*.yaml")):
            name = str(path)
            try:
                template = MailTemplate.from_yaml(path.read_text(encoding="utf-8"), name)
            except MailTemplateError as exc:
                problems.append(Diagnostic(name, 1, "(document)", str(exc)))
                continue
            problems += check_template(template)
    return problems


KIND_CHECKS: dict[str, KindCheck] = {
    "calendar": calendar_problems,
    "mail_template": mail_template_problems,
}


def kind_problems(packs: Sequence[PackSource]) -> list[Diagnostic]:
    """The problems every registered kind check finds in the packs, kind by kind."""
    return [problem for check in KIND_CHECKS.values() for problem in check(packs)]
