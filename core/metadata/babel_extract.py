"""Babel extraction of the translatable labels of a pack's YAML files.

Every label a user may see is an English source string (the msgid): entity ``label`` and
``plural``, field ``label`` (or the label derived from the field's name), ``help``, the display
labels of select options (derived from the option: ``in_progress`` -> ``In progress``), layout
tab and section labels, report labels, descriptions and aggregate labels, workflow, rule and
transition labels,
``notify`` and ``refuse`` messages written as plain text, and the labels of the pack and of its
calendars. Use it with pybabel (method ``officina_pack``, see ``pyproject.toml``) or directly::

    python -m core.metadata.babel_extract packs/service   # refresh the pack's catalogs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from core.i18n_catalogs import CATALOG_LANGUAGES, merge_template, write_catalog
from core.metadata.diagnostics import PathPart
from core.metadata.field_types import FIELD_TYPES
from core.metadata.names import default_label
from core.metadata.yaml_source import SourceDocument, parse_yaml

KINDS = ("pack", "entity", "workflow", "report", "calendar", "document_template")
# The folder of a pack each kind of file lives in; other folders (fixtures, templates/mail)
# hold no labels.
FOLDER_KINDS = {"entities": "entity", "workflows": "workflow", "reports": "report",
                "calendars": "calendar", "templates": "document_template"}
LANGUAGES = CATALOG_LANGUAGES  # every language Officina speaks but English, the source
CATALOG_WIDTH = 100


@dataclass(frozen=True)
class Message:
    """One translatable string found in a YAML file."""

    lineno: int
    text: str
    comment: str


def file_kind(filename: str | None, data: Any) -> str | None:
    """What an Officina YAML file is (``entity``, ``workflow``...), from its path or content.

    ``pack.yaml`` and the files of ``entities/``, ``workflows/``, ``reports/`` and
    ``calendars/`` are known by their path; fixtures and mail templates hold no labels; any
    other file is recognised by its keys.
    """
    if filename:
        path = PurePath(filename)
        if path.name in ("pack.yaml", "pack.yml"):
            return "pack"
        if path.parent.name in FOLDER_KINDS:
            return FOLDER_KINDS[path.parent.name]
        if path.parent.name in ("fixtures", "mail"):
            return None
    return _sniff(data)


def _sniff(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if "fields" in data:
        return "entity"
    if "state_machine" in data or "rules" in data:
        return "workflow"
    if "entity" in data and "files" in data:
        return "document_template"
    if "entity" in data and "label" in data:
        return "report"
    if "hours" in data:
        return "calendar"
    if "version" in data and "name" in data:
        return "pack"
    return None


class _Collector:
    """Gathers messages of one document, located by key path."""

    def __init__(self, document: SourceDocument):
        self.document = document
        self.messages: list[Message] = []

    def add(self, path: tuple[PathPart, ...], text: Any, comment: str) -> None:
        if isinstance(text, str) and text.strip():
            self.messages.append(Message(self.document.line_of(path), text, comment))

    def label(self, data: Mapping[str, Any], path: tuple[PathPart, ...], comment: str,
              key: str = "label") -> None:
        if isinstance(data, dict):
            self.add((*path, key), data.get(key), comment)


def _entity(c: _Collector, data: dict[str, Any]) -> None:
    name = data.get("name", "?")
    c.label(data, (), f"entity {name}: label")
    c.label(data, (), f"entity {name}: plural", key="plural")
    fields = data.get("fields")
    for field_name, spec in (fields.items() if isinstance(fields, dict) else ()):
        path = ("fields", field_name)
        spec = spec if isinstance(spec, dict) else {}
        where = f"entity {name}, field {field_name}"
        if spec.get("label"):
            c.label(spec, path, f"{where}: label")
        else:
            c.add(path, default_label(field_name), f"{where}: label (from the name)")
        c.label(spec, path, f"{where}: help", key="help")
        options = spec.get("options")
        kind = FIELD_TYPES.get(spec.get("type") or "")
        if kind is not None and kind.traits.family == "choice" and isinstance(options, list):
            for index, option in enumerate(options):
                if isinstance(option, str):
                    c.add((*path, "options", index), default_label(option),
                          f"{where}, option {option}")
    _layout(c, name, data.get("layout"))
    panel = data.get("context_panel")
    for index, section in enumerate(panel if isinstance(panel, list) else ()):
        c.label(section, ("context_panel", index), f"entity {name}: context panel section")


def _layout(c: _Collector, entity: str, layout: Any) -> None:
    if not isinstance(layout, dict):
        return
    tabs = layout.get("tabs")
    for t, tab in enumerate(tabs if isinstance(tabs, list) else ()):
        c.label(tab, ("layout", "tabs", t), f"entity {entity}: layout tab")
        sections = tab.get("sections") if isinstance(tab, dict) else None
        for s, section in enumerate(sections if isinstance(sections, list) else ()):
            c.label(section, ("layout", "tabs", t, "sections", s),
                    f"entity {entity}: layout section")
    sections = layout.get("sections")
    for s, section in enumerate(sections if isinstance(sections, list) else ()):
        c.label(section, ("layout", "sections", s), f"entity {entity}: layout section")


def _report(c: _Collector, data: dict[str, Any]) -> None:
    name = data.get("name", "?")
    c.label(data, (), f"report {name}: label")
    c.label(data, (), f"report {name}: description", key="description")
    aggregates = data.get("aggregates")
    for index, aggregate in enumerate(aggregates if isinstance(aggregates, list) else ()):
        c.label(aggregate, ("aggregates", index), f"report {name}: aggregate label")


def _actions(c: _Collector, actions: Any, path: tuple[PathPart, ...], where: str) -> None:
    for index, action in enumerate(actions if isinstance(actions, list) else ()):
        if not isinstance(action, dict):
            continue
        notify = action.get("notify")
        if isinstance(notify, dict):
            c.add((*path, index, "notify", "message"), notify.get("message"),
                  f"{where}: notify message")
        c.add((*path, index, "refuse"), action.get("refuse"), f"{where}: refuse message")
        for kind, branches in (("for_each", ("do",)), ("lock", ("do",)), ("if", ("do", "else"))):
            nested = action.get(kind)
            for branch in branches if isinstance(nested, dict) else ():
                _actions(c, nested.get(branch), (*path, index, kind, branch), where)


def _workflow(c: _Collector, data: dict[str, Any]) -> None:
    name = data.get("name", "?")
    c.label(data, (), f"workflow {name}: label")
    machine = data.get("state_machine")
    if isinstance(machine, dict):
        transitions = machine.get("transitions")
        for index, item in enumerate(transitions if isinstance(transitions, list) else ()):
            if not isinstance(item, dict):
                continue
            path = ("state_machine", "transitions", index)
            where = f"workflow {name}, transition {item.get('name', index)}"
            c.label(item, path, f"{where}: label")
            _actions(c, item.get("do"), (*path, "do"), where)
        for hook in ("on_enter", "on_leave"):
            states = machine.get(hook)
            for state, actions in (states.items() if isinstance(states, dict) else ()):
                _actions(c, actions, ("state_machine", hook, state),
                         f"workflow {name}, {hook} {state}")
    rules = data.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else ()):
        if not isinstance(rule, dict):
            continue
        where = f"workflow {name}, rule {rule.get('name', index)}"
        c.label(rule, ("rules", index), f"{where}: label")
        _actions(c, rule.get("do"), ("rules", index, "do"), where)


def _pack(c: _Collector, data: dict[str, Any]) -> None:
    name = data.get("name", "?")
    c.label(data, (), f"pack {name}: label")
    for key, what in (("navigation", "menu section"), ("home", "home queue")):
        items = data.get(key)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict):
                c.label(item, (key, index), f"pack {name}: {what}")


def _simple(kind: str) -> Any:
    def collect(c: _Collector, data: dict[str, Any]) -> None:
        c.label(data, (), f"{kind} {data.get('name', '?')}: label")
    return collect


def _document_template(c: _Collector, data: dict[str, Any]) -> None:
    c.label(data, (), f"document template for {data.get('entity', '?')}: label")


COLLECTORS = {"entity": _entity, "report": _report, "workflow": _workflow,
              "pack": _pack, "calendar": _simple("calendar"),
              "document_template": _document_template}


def messages_of(text: str, filename: str | None = None, kind: str | None = None) -> list[Message]:
    """The translatable strings of one YAML text; ``kind`` overrides the guess from the path."""
    document = parse_yaml(text, filename or "<yaml>")
    if not isinstance(document.data, dict):
        return []
    kind = kind or file_kind(filename, document.data)
    if kind not in COLLECTORS:
        return []
    collector = _Collector(document)
    COLLECTORS[kind](collector, document.data)
    return collector.messages


def extract_pack_yaml(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
                      options: Mapping[str, Any]) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extraction method: ``(lineno, funcname, message, comments)`` per label.

    ``options`` may give ``kind`` (``entity``, ``workflow``, ``report``, ``pack``,
    ``calendar``) when the file's folder does not tell it, and ``encoding``.
    """
    raw = fileobj.read()
    text = raw.decode(options.get("encoding") or "utf-8") if isinstance(raw, bytes) else raw
    filename = getattr(fileobj, "name", None)
    filename = filename if isinstance(filename, str) else None
    for message in messages_of(text, filename, options.get("kind")):
        yield message.lineno, None, message.text, [message.comment]


def pack_files(pack_dir: Path) -> list[Path]:
    """The YAML files of a pack that may hold labels, in a stable order."""
    pack_dir = Path(pack_dir)
    files = [pack_dir / "pack.yaml"]
    for folder in FOLDER_KINDS:
        files += sorted(p for p in (pack_dir / folder).glob("*.y*ml")
                        if p.suffix in (".yaml", ".yml"))
    return [path for path in files if path.is_file()]


def extract_pack(pack_dir: Path) -> dict[str, list[tuple[str, int, str]]]:
    """Every translatable string of a pack folder, with its ``(file, line, comment)`` uses.

    Files are named relative to the pack's folder (``entities/customer.yaml``).
    """
    pack_dir = Path(pack_dir)
    found: dict[str, list[tuple[str, int, str]]] = {}
    for path in pack_files(pack_dir):
        relative = path.relative_to(pack_dir).as_posix()
        for message in messages_of(path.read_text(encoding="utf-8"), str(path)):
            found.setdefault(message.text, []).append((relative, message.lineno, message.comment))
    return found


def build_template(pack_dir: Path) -> Catalog:
    """The translation template (``.pot``) of a pack."""
    pack_dir = Path(pack_dir)
    date = datetime(2026, 1, 1)  # fixed, so that refreshing unchanged packs changes nothing
    catalog = Catalog(project=f"Officina pack {pack_dir.name}", fuzzy=False,
                      copyright_holder="Officina contributors", creation_date=date,
                      revision_date=date)
    for text, uses in extract_pack(pack_dir).items():
        catalog.add(text, locations=[(file, line) for file, line, _ in uses],
                    auto_comments=list(dict.fromkeys(comment for _, _, comment in uses)))
    return catalog


def update_catalogs(pack_dir: Path, languages: Collection[str] = LANGUAGES) -> list[Path]:
    """Refresh ``translations/<pack>.pot`` and merge it into each language's ``.po``.

    Returns the catalogs of the pack; a file whose messages did not change is left as it is
    (see ``core.i18n_catalogs``), so refreshing twice, or with a newer Babel, writes nothing.
    """
    pack_dir = Path(pack_dir)
    domain = pack_dir.name
    folder = pack_dir / "translations"
    template = build_template(pack_dir)
    paths = [folder / f"{domain}.pot"]
    write_catalog(paths[0], template, width=CATALOG_WIDTH, sort_output=True)
    for language in languages:
        path = folder / language / "LC_MESSAGES" / f"{domain}.po"

        def new_catalog(language: str = language) -> Catalog:
            return Catalog(locale=language, project=template.project, fuzzy=False,
                           copyright_holder="Officina contributors",
                           creation_date=template.creation_date,
                           revision_date=template.creation_date)

        merge_template(template, path, language, new_catalog, fuzzy_matching=False,
                       width=CATALOG_WIDTH)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Refresh the catalogs of the given pack folders and list untranslated strings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packs", nargs="+", type=Path, help="pack folders")
    parser.add_argument("--language", action="append", dest="languages",
                        help="language to keep a catalog for (default: "
                             f"{', '.join(LANGUAGES)})")
    args = parser.parse_args(argv)
    missing = 0
    for pack_dir in args.packs:
        for path in update_catalogs(pack_dir, args.languages or LANGUAGES):
            if path.suffix != ".po":
                continue
            with path.open("rb") as handle:
                catalog = read_po(handle)
            for message in catalog:
                if message.id and (not message.string or message.fuzzy):
                    missing += 1
                    print(f"{path}: untranslated: {message.id!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
