"""What a personal API token may do: read or write, per entity (or every entity with ``*``).

A token acts as its owner, so the owner's permissions still decide; its scopes can only take
away. ``write`` includes reading; an entity without a scope (and no ``*``) is out of reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.i18n import Translator, _

READ, WRITE = "read", "write"
LEVELS = (READ, WRITE)
EVERY_ENTITY = "*"
READ_ACTIONS = frozenset({"read", "export"})


class ScopeError(ValueError):
    """Scopes that cannot be understood; the message names the bad entry."""

    def __init__(self, template: str, **values: object):
        self.template = template
        self.values = values
        super().__init__(template.format(**values))

    def translate(self, translator: Translator) -> str:
        """The message in the translator's language."""
        return translator.gettext(self.template, **self.values)


@dataclass(frozen=True)
class TokenScopes:
    """Entity name (or ``*``) to ``read`` or ``write``, as sorted pairs (hashable)."""

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, value: object) -> TokenScopes:
        """Scopes from ``"*"`` (everything, write) or a mapping ``{entity or "*": level}``."""
        if value == EVERY_ENTITY:
            return cls(((EVERY_ENTITY, WRITE),))
        if not isinstance(value, Mapping) or not value:
            raise ScopeError(_('Scopes are "*" or an object of entity names to "read" or '
                               '"write".'))
        for name, level in value.items():
            if not isinstance(name, str) or not name:
                raise ScopeError(_("Not an entity name: {name}."), name=repr(name))
            if level not in LEVELS:
                raise ScopeError(_('The scope of "{name}" must be "read" or "write", not '
                                   '{level}.'), name=name, level=repr(level))
        return cls(tuple(sorted((str(k), str(v)) for k, v in value.items())))

    def level(self, entity: str) -> str | None:
        """``read``, ``write`` or None (out of scope) for ``entity``."""
        found = dict(self.entries)
        return found.get(entity, found.get(EVERY_ENTITY))

    def permits(self, entity: str, action: str) -> bool:
        """Whether ``action`` (read, export, create, update, delete) on ``entity`` is in scope."""
        level = self.level(entity)
        return level == WRITE or (level == READ and action in READ_ACTIONS)

    @property
    def entities(self) -> tuple[str, ...]:
        """The entity names given (``*`` included)."""
        return tuple(name for name, _level in self.entries)

    def as_json(self) -> str | dict[str, str]:
        """The stored form: ``"*"`` or the mapping."""
        if self.entries == ((EVERY_ENTITY, WRITE),):
            return EVERY_ENTITY
        return dict(self.entries)

    def describe(self) -> str:
        """One line for lists: ``customer: read, sale: write`` (``*`` for every entity)."""
        if self.entries == ((EVERY_ENTITY, WRITE),):
            return "*"
        return ", ".join(f"{name}: {level}" for name, level in self.entries)
