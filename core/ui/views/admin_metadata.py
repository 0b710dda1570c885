"""Administration of metadata: role permissions, customisations and workflows.

Every change goes through ``RegistryStore.save_overlay``, the code path of ``officina
customize set``: the whole registry is validated with the change, the tables migrated and the
overlay stored in one transaction, with the administrator recorded as its author. On any error
nothing changes and the page shows the problems with their line and key.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from core.i18n import _
from core.metadata.diagnostics import MetadataError
from core.metadata.field_types import FIELD_TYPES
from core.metadata.specs import ACTIONS, EntitySpec
from core.records.errors import NotFound
from core.storage.ddl_locks import TableBusy
from core.storage.migrate import MigrationRefused
from core.storage.online_ddl import SchemaChangeUnfinished
from core.ui.access import ADMIN, access
from core.ui.context import actor, gettext, language, officina, registry
from core.ui.views.admin import admin_pages

log = logging.getLogger(__name__)
ROLE_KEY = re.compile(r"^(\*|[a-z][a-z0-9_]*)$")
CUSTOM_NAME = re.compile(r"^x_[a-z0-9_]+$")
ACTION_LABELS = {"read": _("Read"), "create": _("Create"), "update": _("Update"),
                 "delete": _("Delete"), "export": _("Export")}
BLUEPRINTS: list = []



def custom_types() -> tuple[str, ...]:
    """The types an administrator may give a custom field: every one but child tables."""
    return tuple(name for name, kind in FIELD_TYPES.items() if kind.traits.family != "table")

def _entity(name: str) -> EntitySpec:
    spec = registry().entities.get(name)
    if spec is None:
        raise NotFound(gettext("No such page."))
    return spec


def _entities() -> list[EntitySpec]:
    return sorted(registry().entities.values(), key=lambda e: (e.pack, e.name))


# --- the overlay document ---------------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML()  # round trip: the administrator's comments and order are kept
    yaml.default_flow_style = False
    yaml.width = 100
    return yaml


def overlay_text(entity: str) -> str:
    """The stored customisation of ``entity`` (YAML), or ``""``."""
    with officina().database.read() as connection:
        return officina().registry.overlays(connection).get(entity, "")


def overlay_data(entity: str) -> CommentedMap:
    """The customisation of ``entity`` as an editable mapping."""
    text = overlay_text(entity)
    data = _yaml().load(text) if text.strip() else None
    return data if isinstance(data, CommentedMap) else CommentedMap()


def dump(data: CommentedMap) -> str | None:
    """YAML text of a customisation, or None when it is empty (then it is removed)."""
    if not data:
        return None
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def save(entity: str, body: str | None, allow_destructive: bool = False
         ) -> tuple[list[str], bool]:
    """Store a customisation; the problems (empty on success) and whether data loss was refused."""
    try:
        _loaded, plan = officina().registry.save_overlay(actor().username, entity, body,
                                                         allow_destructive)
    except MetadataError as exc:
        return [gettext("Line {line}: {path}: {problem}", line=d.line, path=d.path,
                        problem=d.message) for d in exc.diagnostics], False
    except MigrationRefused as exc:
        return [gettext("This change would lose data; confirm it to go ahead."),
                *exc.plan.describe()], True
    except TableBusy as exc:  # nothing was changed
        return [exc.message(language())], False
    except SchemaChangeUnfinished as exc:  # saved; an index is left for the next migration
        log.warning("%s saved the customisation of %s; unfinished: %s", actor().username,
                    entity, exc)
        flash(exc.message(language()), "error")
        return [], False
    log.info("%s saved the customisation of %s: %s", actor().username, entity,
             "; ".join(plan.describe()) or "no table change")
    return [], False


# --- index ------------------------------------------------------------------------------------


@admin_pages.get("/permissions")
@access(ADMIN)
def permissions_index() -> str:
    """Entities, to choose whose permissions to edit."""
    return render_template("admin_permissions_index.html", entities=_entities(),
                           customised=_customised())


def _customised() -> set[str]:
    with officina().database.read() as connection:
        return set(officina().registry.overlays(connection))


# --- permissions ------------------------------------------------------------------------------


def _rows_of(spec: EntitySpec) -> list[dict[str, Any]]:
    roles = getattr(spec, "role_permissions", None) or {}
    rows = []
    for role in sorted(spec.permissions):
        access_ = roles.get(role)
        rows.append({
            "role": role, "actions": set(spec.permissions[role]),
            "where": json.dumps(access_.where, ensure_ascii=False)
            if access_ is not None and access_.where is not None else "",
            "read_only": set(getattr(access_, "read_only", ())),
            "hidden": set(getattr(access_, "hidden", ()))})
    return rows


def _rows_from_form() -> list[dict[str, Any]]:
    count = min(request.form.get("row_count", 0, type=int), 200)
    return [{"role": request.form.get(f"role-{i}", "").strip(),
             "actions": set(request.form.getlist(f"actions-{i}")),
             "where": request.form.get(f"where-{i}", "").strip(),
             "read_only": set(request.form.getlist(f"read_only-{i}")),
             "hidden": set(request.form.getlist(f"hidden-{i}"))} for i in range(count)]


def _permissions_from(rows: list[dict[str, Any]], row_errors: dict[int, list[str]]
                      ) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for index, row in enumerate(rows):
        role = row["role"]
        if not role and not row["actions"]:
            continue  # the empty row for a new role, left empty
        if not ROLE_KEY.fullmatch(role):
            row_errors.setdefault(index, []).append(gettext(
                "Not a role name: use lowercase letters, digits and underscores, or * for "
                "every role."))
            continue
        if role in result:
            row_errors.setdefault(index, []).append(gettext("This role is listed twice."))
            continue
        if not row["actions"]:
            continue  # no actions: the role loses access to this entity
        actions = [a for a in ACTIONS if a in row["actions"]]
        entry: dict[str, Any] = {"actions": actions}
        if row["where"]:
            try:
                entry["where"] = YAML(typ="safe").load(row["where"])
            except YAMLError as exc:
                row_errors.setdefault(index, []).append(gettext(
                    "The row condition cannot be read: {problem}",
                    problem=str(exc).splitlines()[0]))
                continue
        for key in ("read_only", "hidden"):
            if row[key]:
                entry[key] = sorted(row[key])
        result[role] = actions if len(entry) == 1 else entry
    return result


@admin_pages.route("/permissions/<entity>", methods=["GET", "POST"])
@access(ADMIN)
def entity_permissions(entity: str) -> Response | tuple[str, int]:
    """Who may do what on ``entity``: actions, row condition, read-only and hidden fields."""
    spec = _entity(entity)
    problems: list[str] = []
    row_errors: dict[int, list[str]] = {}
    rows = _rows_of(spec)
    if request.method == "POST":
        data = overlay_data(entity)
        if request.form.get("action") == "restore":
            data.pop("permissions", None)
        else:
            rows = _rows_from_form()
            data["permissions"] = _permissions_from(rows, row_errors)
        if not row_errors:
            problems, _loss = save(entity, dump(data))
            if not problems:
                flash(gettext("Permissions of {entity} saved.", entity=entity), "success")
                return redirect(url_for("admin.entity_permissions", entity=entity))
    status = 400 if problems or row_errors else 200
    rows.append({"role": "", "actions": set(), "where": "", "read_only": set(),
                 "hidden": set()})
    return render_template("admin_permissions.html", spec=spec, rows=rows, actions=ACTIONS,
                           action_labels=ACTION_LABELS,
                           problems=problems, row_errors=row_errors,
                           overlaid="permissions" in overlay_data(entity)), status


# --- customisations ---------------------------------------------------------------------------


@admin_pages.get("/customize")
@access(ADMIN)
def customize_index() -> str:
    """Entities, with whether an administrator customised them."""
    return render_template("admin_customize_index.html", entities=_entities(),
                           customised=_customised())


def _custom_field(form: dict[str, str], errors: list[str]) -> tuple[str, dict[str, Any]]:
    name = form.get("name", "").strip()
    kind = form.get("type", "")
    if not CUSTOM_NAME.fullmatch(name):
        errors.append(gettext("The name of a custom field starts with x_ followed by "
                              "lowercase letters, digits or underscores."))
    if kind not in custom_types():
        errors.append(gettext("Choose a field type from the list."))
    field: dict[str, Any] = {"type": kind}
    if form.get("label", "").strip():
        field["label"] = form["label"].strip()
    if form.get("required") == "on":
        field["required"] = True
    keys = FIELD_TYPES[kind].schema if kind in FIELD_TYPES else {}
    if "options" in keys:
        field["options"] = [o.strip() for o in form.get("options", "").split(",") if o.strip()]
    if "target" in keys:
        field["target"] = form.get("target", "").strip()
    return name, field


def _field_change(spec: EntitySpec, form: dict[str, str], errors: list[str]
                  ) -> tuple[str, dict[str, Any]]:
    name = form.get("field", "")
    if spec.field(name) is None:
        errors.append(gettext("Choose a field from the list."))
    change: dict[str, Any] = {}
    for key in ("label", "help"):
        if form.get(key, "").strip():
            change[key] = form[key].strip()
    if form.get("required") in ("yes", "no"):
        change["required"] = form["required"] == "yes"
    if not change and not errors:
        errors.append(gettext("Nothing to change: enter a label, a help text or choose "
                              "whether the field is required."))
    return name, change


@admin_pages.route("/customize/<entity>", methods=["GET", "POST"])
@access(ADMIN)
def customize_entity(entity: str) -> Response | tuple[str, int]:
    """The customisation of ``entity``: its YAML, a new custom field, a field's label/help."""
    spec = _entity(entity)
    form = request.form.to_dict()
    action = form.get("action", "")
    problems: list[str] = []
    loss = False
    text = overlay_text(entity)
    if request.method == "POST":
        allow = form.get("allow_destructive") == "on"
        body: str | None = None
        if action == "yaml":
            text = form.get("body", "").replace("\r\n", "\n")
            body = text if text.strip() else None
        elif action == "remove":
            body = None
        elif action in ("add_field", "change_field"):
            data = overlay_data(entity)
            if action == "add_field":
                name, field = _custom_field(form, problems)
                data.setdefault("custom_fields", CommentedMap())[name] = field
            else:
                name, change = _field_change(spec, form, problems)
                existing = data.setdefault("fields", CommentedMap())
                existing[name] = {**dict(existing.get(name) or {}), **change}
            body = dump(data)
        else:
            problems.append(gettext("Unknown action."))
        if not problems:
            problems, loss = save(entity, body, allow)
        if not problems:
            flash(gettext("Customisation of {entity} saved.", entity=entity), "success")
            return redirect(url_for("admin.customize_entity", entity=entity))
    return render_template(
        "admin_customize.html", spec=spec, text=text, form=form, action=action,
        problems=problems, loss=loss, types=custom_types(),
        targets=sorted(e.name for e in registry().entities.values() if not e.is_child),
    ), (400 if problems else 200)


# --- workflows --------------------------------------------------------------------------------


def _stored_workflows() -> dict[str, str]:
    with officina().database.read() as connection:
        return officina().registry.workflows(connection)


@admin_pages.get("/workflows")
@access(ADMIN)
def workflows() -> str:
    """Every workflow, and whether an administrator's version replaces the pack's."""
    found = sorted(registry().workflows.values(), key=lambda w: (w.entity, w.name))
    return render_template("admin_workflows.html", workflows=found,
                           stored=set(_stored_workflows()))


@admin_pages.get("/workflows/<name>")
@access(ADMIN)
def workflow(name: str) -> str:
    """A workflow's YAML (read-only; ``officina rules set`` replaces it)."""
    spec = registry().workflows.get(name)
    if spec is None:
        raise NotFound(gettext("No such page."))
    stored = _stored_workflows()
    source = stored.get(name)
    if source is None and spec.source and Path(spec.source).is_file():
        source = Path(spec.source).read_text(encoding="utf-8")
    return render_template("admin_workflow.html", workflow=spec, source=source,
                           stored=name in stored)
