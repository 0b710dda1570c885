"""Document jobs: the outbox payload that asks the worker to render one record's document.

Both the ``render_document`` rule action and ``officina documents batch`` queue such jobs;
the worker's side is ``core.rules.document_jobs``.
"""

from __future__ import annotations

from typing import Any


def document_job_payload(entity: str, record_id: int, template: str, *, language: str,
                         format: str = "pdf", attach_to: str | None = None,
                         mails: list[dict[str, Any]] | None = None, rule: str | None = None,
                         render_as: str | None = None) -> dict[str, Any]:
    """The outbox payload of one ``document`` job, as the ``render_document`` rule action and
    ``officina documents batch`` queue it. ``render_as`` names the user the record is read
    as when rendering (hidden fields print empty); without it the worker reads it."""
    payload: dict[str, Any] = {
        "entity": entity, "record_id": record_id, "template": template, "language": language,
        "format": format, "attach_to": attach_to, "mails": list(mails or ()), "rule": rule}
    if render_as:
        payload["render_as"] = render_as
    return payload
