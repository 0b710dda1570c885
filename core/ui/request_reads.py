"""One read transaction for a page: the sign-in check and the view's reads share it.

A view declared with ``shares_sign_in_read`` (the list page) reads, in ``shared_read()``,
through the transaction in which the sign-in check read the session and its user, instead
of beginning a second one; it ends with the view's block (or, if the view never gets
there, with the request). Other views are unchanged: the sign-in check reads in its own
transaction and ends it at once, so nothing stays open while a view waits on something
else (a directory, LibreOffice, a large export). Before it writes (the session's
``last_seen_at``, at most once a minute) the sign-in check ends the shared transaction, so
no read is held open across a write.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

from flask import current_app, g, request
from sqlalchemy.engine import Connection

from core.ui.context import officina

View = TypeVar("View")
SHARES = "officina_shares_read"  # the attribute a declared view carries
_OPEN = "officina_shared_read"  # the open transaction, in ``g``


def shares_sign_in_read(view: View) -> View:
    """Declare that ``view`` reads through the sign-in check's transaction."""
    setattr(view, SHARES, True)
    return view


def view_shares_read() -> bool:
    """Whether the view of this request declared ``shares_sign_in_read``."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, SHARES, False))


def begin_shared_read() -> Connection:
    """The request's shared read transaction, begun now unless it is open."""
    found = g.get(_OPEN)
    if found is None:
        stack = ExitStack()
        found = (stack.enter_context(officina().database.read()), stack)
        setattr(g, _OPEN, found)
    return found[0]


def end_shared_read(_error: BaseException | None = None) -> None:
    """End the shared read transaction if one is open (also the request's teardown)."""
    found = g.pop(_OPEN, None)
    if found is not None:
        found[1].close()


@contextmanager
def shared_read() -> Iterator[Connection]:
    """The sign-in check's read transaction when it is open, else a new one; either ends
    with the block."""
    found = g.get(_OPEN)
    if found is None:
        with officina().database.read() as connection:
            yield connection
        return
    try:
        yield found[0]
    except BaseException:
        g.pop(_OPEN, None)
        if not found[1].__exit__(*sys.exc_info()):
            raise
    else:
        end_shared_read()
