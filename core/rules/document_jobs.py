"""The worker's side of the ``render_document`` rule action.

The action only queues a ``document`` row in the outbox, in the transaction of the change that
fired the rule. The worker then renders the record with the template (a PDF takes LibreOffice
a while: never in a web request), stores the file, sets the record's attachment field through
the records service and queues the mails the action rendered, each with the file attached
(by its stored key) - in one transaction that also marks the job done.

A job whose record, template or field is gone fails at once (retrying cannot help); a
conversion that failed (LibreOffice busy or crashed) is retried with the worker's back-off.
The job reaches the worker through ``DocumentJobHost`` (what it uses of it, and no more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from core.documents.pdf_settings import PdfError
from core.records.actor import WORKER_ACTOR
from core.records.errors import Conflict, RecordError
from core.records.ports import FileRecordsPort
from core.storage.database import Database
from core.storage.outbox import enqueue
from core.users import actor_for


class DocumentJobHost(Protocol):
    """What a document job uses of the worker that runs it."""

    @property
    def documents(self) -> Any:
        """The document service that renders, or None when this worker cannot."""
        ...

    @property
    def records(self) -> FileRecordsPort:
        """Records (to set the attachment field) and the file store."""
        ...

    @property
    def database(self) -> Database:
        """The database, for the job's own transactions."""
        ...

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """Now, as naive UTC."""
        ...


class DocumentJobError(Exception):
    """A document job failed; ``permanent`` ones are not retried."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def run_document_job(worker: DocumentJobHost, payload: dict[str, Any],
                     finish: Callable[[Connection], None]) -> None:
    """Render, attach and mail one queued document; ``finish`` marks the job done."""
    entity, record_id = payload["entity"], payload["record_id"]
    what = f"{payload['template']} of {entity} {record_id}"
    if worker.documents is None:
        raise DocumentJobError(f"document {what}: this worker cannot render documents "
                               "(start it with officina worker)")
    try:
        reader = WORKER_ACTOR
        if payload.get("render_as"):
            with worker.database.read() as connection:
                reader = actor_for(connection, payload["render_as"])
        document = worker.documents.render(reader, entity, record_id, payload["template"],
                                           language=payload.get("language"),
                                           format=payload.get("format") or "pdf")
    except RecordError as exc:
        raise DocumentJobError(f"document {what}: {exc.describe()}",
                               permanent=not isinstance(exc, PdfError)) from exc
    files = worker.records.files
    if files is None:
        raise DocumentJobError(f"document {what}: no file store configured", permanent=True)
    key = files.put(document.data, document.filename)
    attachment = {"key": key, "name": document.filename, "content_type": document.content_type}
    now = worker.clock()
    try:
        with worker.database.write() as connection:
            if payload.get("attach_to"):
                record = worker.records.get(WORKER_ACTOR, entity, record_id,
                                            connection=connection)
                worker.records.update(WORKER_ACTOR, entity, record_id,
                                      {payload["attach_to"]: key},
                                      version=record["version"], connection=connection)
            for mail in payload.get("mails") or ():
                enqueue(connection, "mail", {**mail, "attachments": [attachment]}, now,
                        entity=entity, record_id=record_id, rule=payload.get("rule"))
            finish(connection)
    except RecordError as exc:  # a concurrent change of the record: try again later
        raise DocumentJobError(f"document {what}: {exc.describe()}",
                               permanent=not isinstance(exc, Conflict)) from exc
