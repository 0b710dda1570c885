"""Batches of documents: one outbox ``document`` job per matching record, for the worker.

``officina documents batch`` calls ``queue_batch``. The records are read through the records
service as the acting user (their row conditions and hidden fields apply to the filter); each
job carries the same payload as the ``render_document`` rule action, plus the acting user so
the worker renders the record as that user would see it (hidden fields print empty). The
jobs are queued in one transaction; ``officina worker`` renders them, stores each file in the
record's attachment field and marks the job done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.documents.errors import DocumentError
from core.documents.jobs import document_job_payload
from core.i18n import Translator, _
from core.metadata.field_types import traits_of
from core.records.actor import Actor
from core.records.reading import ListQuery
from core.storage.outbox import enqueue

if TYPE_CHECKING:
    from core.officina import Officina

PAGE = 1_000


def queue_batch(officina: Officina, actor: Actor, entity: str, template: str, *,
                filters: Any = None, language: str | None = None, format: str = "pdf",
                attach_to: str) -> int:
    """Queue a ``document`` job for each record of ``entity`` matching ``filters`` (the
    records service's filter syntax) that ``actor`` may read; the number queued.

    The template, language, format and attachment field are checked first, so a mistake
    queues nothing (``NotFound`` / ``DocumentError``).
    """
    t = Translator(actor.language)
    spec, info, lang = officina.documents.choose(actor, entity, template, language=language,
                                                 format=format)
    field = spec.field(attach_to)
    if field is None or not traits_of(field).file or traits_of(field).image:
        raise DocumentError(t.gettext(_("The {entity} has no attachment field \"{field}\" "
                                        "to store the documents in."),
                                      entity=spec.label.lower(), field=attach_to))
    render_as = None if actor.trusted or actor.username == "system" else actor.username

    ids: list[int] = []
    while True:
        page = officina.records.list(actor, entity, ListQuery(
            filters=filters, sort=("id",), fields=("id",), limit=PAGE, offset=len(ids)))
        ids.extend(row["id"] for row in page.rows)
        if len(page.rows) < PAGE:
            break

    now = officina.rules.clock()  # the worker's clock: due at once
    with officina.database.write() as connection:
        for record_id in ids:
            payload = document_job_payload(entity, record_id, info.name, language=lang,
                                           format=format, attach_to=attach_to,
                                           render_as=render_as)
            enqueue(connection, "document", payload, now, entity=entity, record_id=record_id)
    return len(ids)
