"""Who is acting: every call to the records service carries one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.records.token_scopes import TokenScopes

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Actor:
    """The acting user: name, roles and language."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    language: str = "en"
    trusted: bool = False  # the engine itself (rules): may set read-only fields
    scopes: TokenScopes | None = None  # an API token's: only takes away (None: no limit)

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles


SYSTEM = Actor(username="system", roles=frozenset({ADMIN_ROLE}))
WORKER_ACTOR = Actor("worker", frozenset({ADMIN_ROLE}), trusted=True)  # timers, schedules, jobs
