"""Administration: users (create, roles, language, deactivate, end sessions, reset link) and
the index.

Every view is ``@access(ADMIN)``: other users get 403. Deactivating a user ends their
sessions; role changes apply at their next request (each request reads the user afresh).
Permissions, customisations and workflows are in ``admin_metadata``, on the same blueprint.
A user's changes are saved in one transaction (a reset mail is queued in the same one), so
nothing is half-saved.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy.engine import Connection

from core.auth.passwords import store_password
from core.auth.policy import password_problems
from core.auth.reset_mail import ResetRecipient, send_reset_link
from core.auth.sessions import active_sessions, end_sessions
from core.i18n import _
from core.records.actor import ADMIN_ROLE
from core.records.errors import NotFound
from core.storage.tables import system_tables
from core.ui.access import ADMIN, access
from core.ui.context import actor, gettext, language_names, officina, registry
from core.ui.sessions import current_session_id, session_policy
from core.ui.views import NavItem
from core.ui.views.account import mail_configured, reset_link
from core.ui.views.auth import ldap_settings
from core.users import create_user

log = logging.getLogger(__name__)
admin_pages = Blueprint("admin", __name__, url_prefix="/admin")

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,139}$")
ROLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Errors = dict[str, list[str]]


@admin_pages.context_processor
def _admin_values() -> dict[str, object]:
    return {"language_names": language_names()}


@admin_pages.get("")
@access(ADMIN)
def index() -> str:
    """The administration start page."""
    return render_template("admin_index.html")


# --- users ------------------------------------------------------------------------------------


@cache
def _users() -> sa.Table:
    return system_tables().system["officina_user"]


@dataclass
class UserRow:
    """A user as the admin pages show it."""

    username: str
    full_name: str
    email: str
    language: str
    roles: list[str]
    active: bool
    directory: bool  # a profile created by a directory (LDAP) login: no local password

    @classmethod
    def of(cls, row: sa.Row) -> UserRow:
        return cls(row.username, row.full_name or "", row.email or "", row.language or "en",
                   [r for r in (row.roles or "").split(",") if r], bool(row.active),
                   row.password_hash is None and ldap_settings() is not None)


def _user(connection: Connection, username: str) -> UserRow:
    row = connection.execute(sa.select(_users()).where(
        _users().c.username == username)).first()
    if row is None:
        raise NotFound(gettext("No such user."))
    return UserRow.of(row)


def managed_roles() -> frozenset[str]:
    """Roles the directory grants and takes away at each login."""
    settings = ldap_settings()
    return settings.managed_roles if settings is not None else frozenset()


def known_roles(connection: Connection) -> list[str]:
    """Roles worth offering: those of the entities' permissions, the users' and the admin."""
    roles = {ADMIN_ROLE, *managed_roles()}
    for spec in registry().entities.values():
        roles.update(r for r in spec.permissions if r != "*")
    for value in connection.execute(sa.select(_users().c.roles)).scalars():
        roles.update(r for r in (value or "").split(",") if r)
    return sorted(roles)


@admin_pages.get("/users")
@access(ADMIN)
def users() -> str:
    """Every user, with roles and state."""
    with officina().database.read() as connection:
        rows = [UserRow.of(r) for r in connection.execute(
            sa.select(_users()).order_by(_users().c.username))]
    return render_template("admin_users.html", users=rows, managed=managed_roles())


def _form_roles(errors: Errors) -> list[str]:
    roles = set(request.form.getlist("roles"))
    roles.update(r.strip() for r in request.form.get("extra_roles", "").split(",") if r.strip())
    bad = sorted(r for r in roles if not ROLE.fullmatch(r))
    if bad:
        errors["extra_roles"] = [gettext(
            "Not a role name: {names}. Use lowercase letters, digits and underscores.",
            names=", ".join(bad))]
    return sorted(roles)


def _profile_values(errors: Errors) -> dict[str, str]:
    values = {"full_name": request.form.get("full_name", "").strip()[:200],
              "email": request.form.get("email", "").strip(),
              "language": request.form.get("language", "en")}
    if values["email"] and (len(values["email"]) > 254 or not EMAIL.fullmatch(values["email"])):
        errors["email"] = [gettext("Enter a valid e-mail address.")]
    if values["language"] not in language_names():
        errors["language"] = [gettext("Choose a language from the list.")]
    return values


def _user_form(template_user: dict, errors: Errors, status: int, new: bool
               ) -> tuple[str, int]:
    with officina().database.read() as connection:
        roles = known_roles(connection)
        open_sessions = 0 if new else len(active_sessions(
            connection, template_user["username"], session_policy()))
    return render_template("admin_user_form.html", user=template_user, errors=errors, new=new,
                           roles=roles, managed=managed_roles(), mail=mail_configured(),
                           open_sessions=open_sessions), status


@admin_pages.route("/users/new", methods=["GET", "POST"])
@access(ADMIN)
def new_user() -> Response | tuple[str, int]:
    """Create a local user with an initial password, or send them a link to choose one."""
    if request.method == "GET":
        return _user_form({"language": "en", "roles": [], "password_mode": "password",
                           "active": True, "directory": False}, {}, 200, new=True)
    errors: Errors = {}
    username = request.form.get("username", "").strip()
    values = _profile_values(errors)
    roles = _form_roles(errors)
    mode = request.form.get("password_mode", "password")
    password = request.form.get("password", "")
    if not USERNAME.fullmatch(username):
        errors["username"] = [gettext(
            "Enter a username of letters, digits and . _ @ - (at most 140 characters).")]
    if mode == "link":
        if not mail_configured():
            errors["password_mode"] = [gettext("This instance cannot send mail.")]
        elif not values["email"]:
            errors["email"] = [gettext("An e-mail address is needed to send the link.")]
    else:
        problems = password_problems(username, password)
        if problems:
            errors["password"] = [gettext(p) for p in problems]
    with officina().database.write() as connection:
        if not errors and connection.execute(sa.select(_users().c.id).where(
                sa.func.lower(_users().c.username) == username.lower())).first():
            errors["username"] = [gettext("A user with this username already exists.")]
        if not errors:
            # With a link, the user gets a random password nobody knows until they reset it.
            create_user(connection, username,
                        password if mode != "link" else secrets.token_urlsafe(32),
                        roles=tuple(roles), hashing=officina().settings.passwords, **values)
            if mode == "link":
                send_reset_link(connection, ResetRecipient(
                    username, values["full_name"] or username, values["email"],
                    values["language"]), reset_link)
    if errors:
        shown = {**values, "username": username, "roles": roles, "password_mode": mode,
                 "active": True, "directory": False}
        return _user_form(shown, errors, 400, new=True)
    log.info("%s created user %s with roles %s", actor().username, username, roles)
    flash(gettext("User {username} created.", username=username), "success")
    if mode == "link":
        flash(gettext("A link to choose a password was sent to {email}.",
                      email=values["email"]), "success")
    return redirect(url_for("admin.users"))


@admin_pages.route("/users/<username>", methods=["GET", "POST"])
@access(ADMIN)
def edit_user(username: str) -> Response | tuple[str, int]:
    """Change a user's name, e-mail, language, roles and whether they may sign in."""
    with officina().database.read() as connection:
        user = _user(connection, username)
    if request.method == "GET":
        return _user_form(vars(user), {}, 200, new=False)
    errors: Errors = {}
    values = _profile_values(errors)
    roles = set(_form_roles(errors))
    active = request.form.get("active") == "on"
    if user.directory:  # the directory decides these at each login: keep them as they are
        managed = managed_roles()
        roles = {r for r in roles if r not in managed} | {r for r in user.roles if r in managed}
    myself = username == actor().username
    if myself and not active:
        errors["active"] = [gettext("You cannot deactivate yourself.")]
    if myself and ADMIN_ROLE not in roles:
        errors["roles"] = [gettext("You cannot remove your own administrator role.")]
    if errors:
        shown = {**vars(user), **values, "roles": sorted(roles), "active": active}
        return _user_form(shown, errors, 400, new=False)
    with officina().database.write() as connection:
        connection.execute(_users().update().where(_users().c.username == username).values(
            roles=",".join(sorted(roles)), active=active, **values))
        if not active:
            end_sessions(connection, username)
    log.info("%s changed user %s: roles %s, active %s", actor().username, username,
             sorted(roles), active)
    flash(gettext("User {username} saved.", username=username), "success")
    return redirect(url_for("admin.users"))


@admin_pages.post("/users/<username>/active")
@access(ADMIN)
def set_active(username: str) -> Response:
    """Deactivate (or reactivate) a user: a deactivated user is signed out and cannot sign in."""
    active = request.form.get("active") == "1"
    with officina().database.write() as connection:
        _user(connection, username)
        if username == actor().username and not active:
            flash(gettext("You cannot deactivate yourself."), "error")
            return redirect(url_for("admin.users"))
        connection.execute(_users().update().where(_users().c.username == username)
                           .values(active=active))
        if not active:  # reactivating them later does not bring these sessions back
            end_sessions(connection, username)
    log.info("%s set user %s active=%s", actor().username, username, active)
    flash(gettext("User {username} deactivated.", username=username) if not active
          else gettext("User {username} reactivated.", username=username), "success")
    return redirect(url_for("admin.users"))


@admin_pages.post("/users/<username>/sessions/end")
@access(ADMIN)
def end_user_sessions(username: str) -> Response:
    """Sign the user out everywhere (an administrator's own current session stays)."""
    with officina().database.write() as connection:
        _user(connection, username)
        keep = current_session_id() if username == actor().username else None
        ended = end_sessions(connection, username, keep=keep)
    log.info("%s ended %d sessions of user %s", actor().username, ended, username)
    flash(gettext(_("Sessions of {username} ended: {count}."), count=ended,
                  username=username),
          "success")
    return redirect(url_for("admin.edit_user", username=username))


@admin_pages.post("/users/<username>/reset")
@access(ADMIN)
def send_reset(username: str) -> Response:
    """Mail the user a link to choose a new password (local users with an e-mail)."""
    with officina().database.write() as connection:
        user = _user(connection, username)
        sent = False
        if mail_configured() and user.email and user.active and not user.directory:
            if connection.execute(sa.select(_users().c.password_hash).where(
                    _users().c.username == username)).scalar() is None:
                # as any other new password: sessions end, API tokens are revoked
                store_password(connection, username, secrets.token_urlsafe(32),
                               officina().settings.passwords)
            sent = send_reset_link(connection, ResetRecipient(
                user.username, user.full_name or user.username, user.email, user.language),
                reset_link)
    if sent:
        flash(gettext("A link to choose a password was sent to {email}.", email=user.email),
              "success")
    else:
        flash(gettext("No link was sent: the user needs an e-mail address, a local password "
                      "and mail must be configured (at most three links an hour)."), "error")
    return redirect(url_for("admin.edit_user", username=username))


def navigation_items() -> list[NavItem]:
    """"Administration", for administrators only."""
    signed_in = g.get("actor")
    if signed_in is None or not signed_in.is_admin:
        return []
    return [NavItem(gettext("Administration"), url_for("admin.index"))]


BLUEPRINTS = [admin_pages]
