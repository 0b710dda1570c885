"""The query of a list page, read from and written back to its URL.

Everything a list shows lives in the query string, so a view can be bookmarked and shared:

- ``q``: text searched in the reference and the entity's search fields;
- ``sort``: one field, ``-`` in front for descending (``sort=-created_at``);
- ``page`` (from 1) and ``size`` (one of ``PAGE_SIZES``);
- ``f.<field>``: a filter on a field, its form following the field's type:
  select and multiselect ``f.status=open&f.status=draft`` (any of them); boolean
  ``f.flag=yes|no``; link ``f.customer=<id>`` (or ``f.customer.text=acme``, the target's
  title containing the text, when no id was chosen); text-like ``f.city=mil`` (contains);
  dates, datetimes and numbers ``f.day.from=2026-01-01&f.day.to=2026-01-31`` (inclusive;
  numbers typed with the locale's separators).

``parse`` turns the arguments into a ``ListRequest`` whose ``filters`` go to the records
service; a value it cannot read raises ``QueryError`` with a translated message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from werkzeug.datastructures import MultiDict

from core.formatting import parse_decimal_input
from core.i18n import _
from core.metadata.field_types import FIELD_TYPES, traits_of
from core.metadata.filter_grammar import STANDARD_FIELDS
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import QueryError
from core.ui.field_facets import facet_of

PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_DIGITS = 38  # the most digits a numeric column holds
MAX_PAGE = 10_000_000  # past any real list; keeps the offset inside the database's range
FILTER_PREFIX = "f."
DEFAULT_COLUMN_COUNT = 5
# Filters offered when the entity names none (among its columns).
DEFAULT_FILTERS = frozenset({"choice", "link", "date_range", "boolean"})

Gettext = Callable[..., str]


def filter_kind(spec: FieldSpec) -> str | None:
    """How ``spec`` is filtered on a list page (its type's filter widget), or None when it
    is not."""
    return facet_of(spec).filter


def _default_column_rank(spec: FieldSpec) -> int | None:
    """Where a field of ``spec``'s kind comes among the columns a list shows when the entity
    names none (options, links, dates, money, short text, numbers, yes/no), or None."""
    kind = traits_of(spec)
    ranks = [kind.family == "choice" and not kind.multiple, kind.family == "link",
             kind.family == "time" and not kind.moment, kind.moment, kind.currency,
             *(kind.textual and facet_of(spec).cell == cell for cell in ("text", "email",
                                                                           "phone")),
             kind.numeric and not kind.elapsed and not kind.currency and kind.whole,
             kind.numeric and not kind.elapsed and not kind.currency and not kind.whole,
             kind.family == "flag"]
    return next((rank for rank, fits in enumerate(ranks) if fits), None)


FLAG_WORDS = {"yes": True, "1": True, "true": True, "no": False, "0": False, "false": False}


def flag_value(text: str) -> bool | None:
    """A yes/no filter's value as URLs write it (``yes``/``no``, ``1``/``0``,
    ``true``/``false``, any case), or None when it is none of them."""
    return FLAG_WORDS.get(text.strip().lower())


def list_field(entity: EntitySpec, name: str, readable: Collection[str] | None) -> \
        FieldSpec | None:
    """The stored field (or standard column such as ``ref``) ``name``, if the reader sees it."""
    spec = entity.field(name)
    if spec is not None:
        visible = readable is None or name in readable
        return spec if spec.stored and visible else None
    return STANDARD_FIELDS.get(name) if name != "version" else None


def columns(entity: EntitySpec, readable: Collection[str] | None) -> list[FieldSpec]:
    """The list columns the reader may see; a sensible few when the entity names none.

    The metadata loader makes an entity without ``list.columns`` list its title field
    alone; a list of only the title gets a few more columns of types that read well.
    """
    named = entity.list_columns
    if named == (entity.title_field,):
        named = ()
    chosen = [f for f in (list_field(entity, n, readable) for n in named) if f]
    if chosen:
        return chosen
    if entity.title_field:
        title = list_field(entity, entity.title_field, readable)
        if title is not None:
            chosen.append(title)
    ranked = [(rank, spec) for spec in entity.stored_fields
              if (rank := _default_column_rank(spec)) is not None]
    for _rank, spec in sorted(ranked, key=lambda pair: pair[0]):  # stable: in field order
        if len(chosen) >= DEFAULT_COLUMN_COUNT:
            return chosen
        if spec not in chosen and (readable is None or spec.name in readable):
            chosen.append(spec)
    return chosen


def filter_fields(entity: EntitySpec, shown: Sequence[FieldSpec],
                  readable: Collection[str] | None) -> list[FieldSpec]:
    """The fields offered in the filter panel: the entity's list filters, or by default its
    columns of types that filter well."""
    if entity.list_filters:
        found = (list_field(entity, n, readable) for n in entity.list_filters)
        return [f for f in found if f is not None and filter_kind(f)]
    return [f for f in shown if filter_kind(f) in DEFAULT_FILTERS]


@dataclass
class FilterValue:
    """What the URL asks of one field: the raw values, kept to fill the filter panel."""

    field: FieldSpec
    kind: str
    values: list[str] = field(default_factory=list)
    start: str = ""
    end: str = ""
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.values or self.start or self.end or self.text)


@dataclass
class ListRequest:
    """A list page's query, parsed: what to ask the records service, and how to redraw."""

    search: str = ""
    sort: str = ""
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    filters: list[Any] = field(default_factory=list)
    values: dict[str, FilterValue] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def value(self, spec: FieldSpec) -> FilterValue:
        """The filter values asked of ``spec`` (empty when none)."""
        return self.values.get(spec.name) or FilterValue(spec, filter_kind(spec) or "")

    def arguments(self, **changes: Any) -> list[tuple[str, str]]:
        """The query string's arguments, with ``changes`` (None removes one)."""
        base: dict[str, Any] = {"q": self.search, "sort": self.sort,
                                "page": self.page if self.page != 1 else None,
                                "size": self.size if self.size != DEFAULT_PAGE_SIZE else None}
        base.update(changes)
        pairs: list[tuple[str, str]] = [(k, str(v)) for k, v in base.items()
                                        if v not in (None, "")]
        for name, wanted in self.values.items():
            key = FILTER_PREFIX + name
            pairs += [(key, v) for v in wanted.values]
            for suffix, text in (("from", wanted.start), ("to", wanted.end),
                                 ("text", wanted.text)):
                if text:
                    pairs.append((f"{key}.{suffix}", text))
        return pairs

    def query_string(self, **changes: Any) -> str:
        """The URL query (without ``?``) of this list, with ``changes``."""
        return urlencode(self.arguments(**changes))

    def filter_arguments(self) -> list[tuple[str, str]]:
        """The search and filters only (for exports and saved filters)."""
        return self.arguments(page=None, size=None)


class Parser:
    """Reads a list page's query arguments for one entity and one reader."""

    def __init__(self, entity: EntitySpec, readable: Collection[str] | None, locale: Locale,
                 timezone: str, gettext: Gettext, label: Callable[[FieldSpec], str],
                 link_titles: Mapping[str, str | None] | None = None):
        self.entity = entity
        self.label = label
        self.readable = readable
        self.locale = locale
        self.timezone = timezone
        self.gettext = gettext
        self.link_titles = link_titles or {}

    def fail(self, message: str, **values: Any) -> QueryError:
        return QueryError(self.gettext(message, **values))

    def parse(self, args: MultiDict[str, str]) -> ListRequest:
        request = ListRequest(search=args.get("q", "").strip())
        request.sort = self._sort(args.get("sort", "").strip())
        request.page = self._whole(args.get("page", "1"), _("page"), minimum=1,
                                   maximum=MAX_PAGE)
        request.size = self._whole(args.get("size", str(DEFAULT_PAGE_SIZE)), _("page size"),
                                   minimum=1)
        if request.size not in PAGE_SIZES:
            raise self.fail(_("The page size must be one of {sizes}."),
                            sizes=", ".join(str(s) for s in PAGE_SIZES))
        grouped: dict[str, dict[str, list[str]]] = {}
        for key in args:
            if not key.startswith(FILTER_PREFIX):
                continue
            name, _dot, part = key[len(FILTER_PREFIX):].partition(".")
            values = [v.strip() for v in args.getlist(key) if v.strip()]
            grouped.setdefault(name, {}).setdefault(part, []).extend(values)
        for name, parts in grouped.items():
            spec = list_field(self.entity, name, self.readable)
            kind = filter_kind(spec) if spec is not None else None
            if spec is None or kind is None:
                raise self.fail(_("There is no field \"{field}\" to filter by."), field=name)
            wanted = self._filter(spec, kind, parts)
            if wanted.active:
                request.values[name] = wanted
        request.filters = [c for w in request.values.values() for c in self.conditions(w)]
        return request

    def _whole(self, text: str, what: str, minimum: int, maximum: int | None = None) -> int:
        try:
            number = int(text) if text.strip().isascii() else minimum - 1
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise self.fail(_("The {what} must be a whole number of at least {minimum}."),
                            what=self.gettext(what), minimum=minimum)
        if maximum is not None and number > maximum:
            raise self.fail(_("The {what} must be a whole number of at most {maximum}."),
                            what=self.gettext(what), maximum=maximum)
        return number

    def _sort(self, text: str) -> str:
        if not text:
            return ""
        spec = list_field(self.entity, text.lstrip("-"), self.readable)
        if spec is None or not FIELD_TYPES[spec.type].sortable:
            raise self.fail(_("The list cannot be sorted by \"{field}\"."),
                            field=text.lstrip("-"))
        return text

    def _filter(self, spec: FieldSpec, kind: str, parts: dict[str, list[str]]) -> FilterValue:
        allowed = {"choice": {""}, "boolean": {""}, "text": {""}, "link": {"", "text"},
                   "date_range": {"from", "to"}, "number_range": {"from", "to"}}[kind]
        for part in parts:
            if part not in allowed:
                raise self.fail(_("There is no field \"{field}\" to filter by."),
                                field=f"{spec.name}.{part}")
        wanted = FilterValue(spec, kind, values=list(dict.fromkeys(parts.get("", []))),
                             start=" ".join(parts.get("from", [])),
                             end=" ".join(parts.get("to", [])),
                             text=" ".join(parts.get("text", [])))
        if kind in ("boolean", "text", "link") and len(wanted.values) > 1:
            wanted.values = wanted.values[-1:]
        return wanted

    # -- conditions in the records service's filter syntax -----------------------------

    def conditions(self, wanted: FilterValue) -> list[Any]:
        spec, name = wanted.field, wanted.field.name
        if wanted.kind == "choice":
            for value in wanted.values:
                if value not in spec.options:
                    raise self.fail(_("\"{value}\" is not a choice of {field}."), value=value,
                                    field=self.label(spec))
            if not wanted.values:
                return []
            if traits_of(spec).multiple:
                options = [[name, "has", v] for v in wanted.values]
                return [options[0] if len(options) == 1 else {"or": options}]
            return [[name, "in", wanted.values]]
        if wanted.kind == "boolean":
            if not wanted.values or wanted.values[0] == "any":
                return []
            flag = flag_value(wanted.values[0])
            if flag is None:
                raise self.fail(_("Choose yes, no or any for {field}."),
                                field=self.label(spec))
            wanted.values = ["yes" if flag else "no"]  # as the filter panel writes it
            return [[name, "=", flag]]
        if wanted.kind == "text":
            return [[name, "like", v] for v in wanted.values]
        if wanted.kind == "link":
            if wanted.values:
                try:
                    return [[name, "=", int(wanted.values[0])]]
                except ValueError:
                    raise self.fail(_("Choose a record for {field} from the suggestions."),
                                    field=self.label(spec)) from None
            title = self.link_titles.get(name)
            if wanted.text and title:
                return [[f"{name}.{title}", "like", wanted.text]]
            if wanted.text:
                return [[f"{name}.ref", "like", wanted.text]]
            return []
        if wanted.kind == "date_range":
            return self._date_range(spec, wanted)
        return self._number_range(spec, wanted)

    def _date(self, spec: FieldSpec, text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise self.fail(_("\"{value}\" is not a date for {field}: write it as YYYY-MM-DD."),
                            value=text, field=self.label(spec)) from None

    def _date_range(self, spec: FieldSpec, wanted: FilterValue) -> list[Any]:
        name, found = spec.name, []
        start = self._date(spec, wanted.start) if wanted.start else None
        end = self._date(spec, wanted.end) if wanted.end else None
        if start and end and start > end:
            raise self.fail(_("The range of {field} ends before it starts."),
                            field=self.label(spec))
        if not traits_of(spec).moment:
            if start:
                found.append([name, ">=", start.isoformat()])
            if end:
                found.append([name, "<=", end.isoformat()])
            return found
        # Datetimes are stored in UTC: a day is the reader's day in the instance's zone.
        if start:
            found.append([name, ">=", self._utc(start)])
        if end:
            found.append([name, "<", self._utc(end + dt.timedelta(days=1))])
        return found

    def _utc(self, day: dt.date) -> str:
        local = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(dt.UTC).replace(tzinfo=None).isoformat()

    def _number(self, spec: FieldSpec, text: str) -> Decimal:
        try:
            number = parse_decimal_input(text, self.locale)
        except ValueError:
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = Decimal("NaN")
        # No column holds more than 38 digits; a larger exponent would only cost time.
        if number.is_finite() and number.adjusted() <= MAX_DIGITS:
            return number
        raise self.fail(_("\"{value}\" is not a number for {field}."), value=text,
                        field=self.label(spec))

    def _number_range(self, spec: FieldSpec, wanted: FilterValue) -> list[Any]:
        start = self._number(spec, wanted.start) if wanted.start else None
        end = self._number(spec, wanted.end) if wanted.end else None
        if start is not None and end is not None and start > end:
            raise self.fail(_("The range of {field} ends before it starts."),
                            field=self.label(spec))
        whole = traits_of(spec).whole
        found = []
        for operator, number in ((">=", start), ("<=", end)):
            if number is None:
                continue
            if whole and number != number.to_integral_value():
                raise self.fail(_("\"{value}\" is not a whole number for {field}."),
                                value=str(number), field=self.label(spec))
            found.append([spec.name, operator, int(number) if whole else str(number)])
        return found
