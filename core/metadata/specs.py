"""Typed, frozen specifications of metadata: what the registry is made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

ACTIONS = ("read", "create", "update", "delete", "export")


@dataclass(frozen=True)
class FieldSpec:
    """One field of an entity."""

    name: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    unique: bool = False
    default: Any = None
    read_only: bool = False
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    check: str | None = None
    index: bool = False
    computed: str | None = None
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    options: tuple[str, ...] = ()
    target: str | None = None
    currency: str | None = None
    signature: bool = False
    renamed_from: str | None = None
    custom: bool = False
    user_editable: bool = False  # users may enter it although rules fill it too
    fetch_from: str | None = None  # ``link.field``: filled from the linked record when empty
    # (option, colour, icon) of a select's options shown as badges
    badges: tuple[tuple[str, str, str], ...] = ()
    # a datetime shown as a due badge (time left, or overdue): always (``()``), or only while
    # a select field has one of some values (``(field, value, ...)``); None: never
    due: tuple[str, ...] | None = None
    # a link's choices narrowed by this record's fields: (target's field, this entity's field)
    link_filter: tuple[tuple[str, str], ...] = ()
    # depends-on: (field, value, ...) of this entity under which the field is shown,
    # required, or locked; None: always shown, required as ``required`` says, never locked
    visible_when: tuple[Any, ...] | None = None
    required_when: tuple[Any, ...] | None = None
    read_only_when: tuple[Any, ...] | None = None
    # the ``check`` when a pack's hooks add it (a PackCheck; core/metadata/pack_contributions.py)
    pack_check: Any = field(default=None, compare=False, repr=False)

    @property
    def stored(self) -> bool:
        """Whether the field is a column of its entity's table (child tables are not)."""
        return self.type != "table"


@dataclass(frozen=True)
class RolePermission:
    """What one role may do on an entity's records.

    ``where`` is a row condition in the list-filter syntax (``$user`` stands for the acting
    username), or None for every row; ``read_only`` fields can be read but not written,
    ``hidden`` fields neither read nor written.
    """

    actions: frozenset[str]
    where: Any = field(default=None, hash=False)
    read_only: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LabelGrammar:
    """How one language treats an entity's label in sentences: its gender (messages pick
    the form that agrees with it) and its definite and indefinite articles (``la``,
    ``un'``)."""

    gender: str = ""
    article: str = ""
    indefinite: str = ""


@dataclass(frozen=True)
class LayoutSection:
    """A section of a form: a label and columns of field names."""

    label: str
    columns: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class LayoutTab:
    """A tab of a form."""

    label: str
    sections: tuple[LayoutSection, ...]


@dataclass(frozen=True)
class PlannerSpec:
    """An entity's planner board: records placed by a start time, one row per resource.

    ``start`` is a datetime field, ``duration`` an optional duration field (seconds;
    ``DEFAULT_DURATION`` when absent or empty), ``resource`` a link field whose target's
    records are the rows, ``filters`` the list filters shown above the board,
    ``to_plan_sort`` the order of the records still to plan (most urgent first).
    """

    start: str
    resource: str
    duration: str | None = None
    filters: tuple[str, ...] = ()
    to_plan_sort: tuple[str, ...] = ("created_at",)

    DEFAULT_DURATION = 3600


@dataclass(frozen=True, eq=False)
class EntitySpec:
    """One entity: its fields and how it is named, listed, laid out and protected."""

    name: str
    pack: str
    label: str
    plural: str
    table_name: str
    fields: tuple[FieldSpec, ...]
    is_child: bool = False
    naming: str | None = None
    title_field: str | None = None
    search_fields: tuple[str, ...] = ()
    list_columns: tuple[str, ...] = ()
    list_filters: tuple[str, ...] = ()
    default_sort: str = "-modified_at"
    layout: tuple[LayoutTab, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    role_permissions: Mapping[str, RolePermission] = field(default_factory=dict)
    renamed_from: str | None = None
    planner: PlannerSpec | None = None
    source: str = ""
    grammar: Mapping[str, LabelGrammar] = field(default_factory=dict)
    context_panel: tuple[Any, ...] = ()  # PanelSection (core.metadata.context_panel)
    _by_name: Mapping[str, FieldSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", MappingProxyType({f.name: f for f in self.fields}))
        # ``permissions`` (role -> actions) and ``role_permissions`` (role -> RolePermission)
        # describe the same thing; either may be given, the other follows.
        roles = dict(self.role_permissions) or {
            role: RolePermission(frozenset(actions)) for role, actions in self.permissions.items()}
        object.__setattr__(self, "role_permissions", MappingProxyType(roles))
        object.__setattr__(self, "permissions", MappingProxyType(
            {role: access.actions for role, access in roles.items()}))

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, or None."""
        return self._by_name.get(name)

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is one of this entity's fields."""
        return name in self._by_name

    @cached_property
    def stored_fields(self) -> tuple[FieldSpec, ...]:
        """Fields that are columns of this entity's table (found once: specs are frozen)."""
        return tuple(f for f in self.fields if f.stored)

    @cached_property
    def table_fields(self) -> tuple[FieldSpec, ...]:
        """Child-table fields (lines owned by this entity)."""
        return tuple(f for f in self.fields if f.type == "table")


@dataclass(frozen=True)
class PackSpec:
    """A pack: a folder of metadata."""

    name: str
    version: str
    description: str
    depends: tuple[str, ...]
    path: str
    label: str = ""
    navigation: tuple[Any, ...] = ()  # NavSection (core.metadata.pack_views)
    home: tuple[Any, ...] = ()  # HomeQueue: the role home pages' queues


@dataclass(frozen=True)
class DocumentTemplateSpec:
    """A Word template a pack ships for one entity (``templates/<name>.yaml``).

    ``files`` maps a language to the absolute path of its ``.docx`` file.
    """

    name: str
    entity: str
    label: str
    pack: str
    files: Mapping[str, str]
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages with a variant, sorted."""
        return tuple(sorted(self.files))


@dataclass(frozen=True, eq=False)
class Registry:
    """The immutable, versioned result of loading packs and merging the overlay."""

    packs: tuple[PackSpec, ...]
    entities: Mapping[str, EntitySpec]
    content_hash: str
    version: int = 0
    workflows: Mapping[str, Any] = field(default_factory=dict)
    calendars: Mapping[str, Any] = field(default_factory=dict)
    document_templates: Mapping[str, DocumentTemplateSpec] = field(default_factory=dict)
    # entity -> system-filled field -> why (core/metadata/write_authority.py)
    system_fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entities", MappingProxyType(dict(self.entities)))
        object.__setattr__(self, "document_templates",
                           MappingProxyType(dict(self.document_templates)))
        object.__setattr__(self, "workflows", MappingProxyType(dict(self.workflows)))
        object.__setattr__(self, "calendars", MappingProxyType(dict(self.calendars)))

    def workflows_of(self, entity: str) -> list[Any]:
        """The workflows of ``entity`` (``WorkflowSpec``), by name."""
        return [w for _, w in sorted(self.workflows.items()) if w.entity == entity]

    def state_machine(self, entity: str) -> Any:
        """The ``StateMachineSpec`` of ``entity``, if a workflow defines one."""
        return next((w.state_machine for w in self.workflows_of(entity)
                     if w.state_machine is not None), None)

    def entity(self, name: str) -> EntitySpec:
        """The entity called ``name``; ``KeyError`` when there is none."""
        return self.entities[name]

    def parent_of(self, child: str) -> tuple[EntitySpec, FieldSpec] | None:
        """The entity and table field that own the child entity ``child``."""
        for entity in self.entities.values():
            for spec in entity.table_fields:
                if spec.target == child:
                    return entity, spec
        return None

    def with_version(self, version: int) -> Registry:
        """The same registry carrying another version number."""
        return Registry(self.packs, self.entities, self.content_hash, version, self.workflows,
                        self.calendars, self.document_templates, self.system_fields)

    def filled_by_system(self, entity: str) -> Mapping[str, str]:
        """The fields of ``entity`` only the system writes (rules, worker, formulas, the
        workflow's transitions), each with its reason: ``computed``, ``read_only``,
        ``state`` or ``rules``."""
        return self.system_fields.get(entity, {})

    def templates_of(self, entity: str) -> list[DocumentTemplateSpec]:
        """The document templates a pack ships for ``entity``, by name."""
        return [t for _, t in sorted(self.document_templates.items()) if t.entity == entity]
