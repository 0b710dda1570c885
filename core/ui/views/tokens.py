"""Personal API tokens on the account pages (one's own) and the admin pages (any user's).

A new token's secret is shown once, on the page answering the creation, and never again
(only its SHA-256 is stored). Lists show name, prefix, scopes, creation, last use and expiry;
revoked tokens stay listed as revoked.

Creating a token asks for the password of whoever creates it (the user, or the administrator
creating one for a user), checked through the sign-in path (directory, then local password)
and under its throttle: a stolen session cookie alone cannot mint a token that would outlive
the session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound as PageNotFound

from core.auth.api_tokens import TokenInfo, create_token, list_tokens, revoke_token
from core.auth.errors import LdapUnavailable, LoginThrottled
from core.auth.login import login
from core.formatting import format_datetime
from core.i18n import _
from core.records.actor import Actor
from core.records.errors import NotFound, RecordValidationError
from core.records.token_scopes import EVERY_ENTITY, LEVELS, TokenScopes
from core.ui.access import ADMIN, USER, access
from core.ui.context import actor, gettext, labels, locale, officina, registry, translator
from core.ui.views import NavItem
from core.ui.views.auth import ldap_settings
from core.users import actor_for, user_exists

token_pages = Blueprint("tokens", __name__)
MAX_DAYS = 36_500
PASSWORD_FIELD = "current_password"  # noqa: S105 - a form field's name
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class ScopeChoice:
    """One entity the owner may read, offered with none / read / write."""

    name: str
    label: str


def _when(value: dt.datetime | None) -> str:
    return format_datetime(value, locale(), officina().settings.timezone) if value else ""


def _owner(username: str) -> Actor:
    """The user whose tokens an administrator manages; a deactivated one as roleless (their
    tokens can be revoked, not created)."""
    with officina().database.read() as connection:
        try:
            return actor_for(connection, username)
        except NotFound:
            if not user_exists(connection, username):
                raise PageNotFound() from None
            return Actor(username)


def _choices(owner: Actor) -> list[ScopeChoice]:
    records = officina().records
    return [ScopeChoice(e.name, labels().entity_plural(e))
            for e in registry().entities.values()
            if not e.is_child and records.can(owner, e.name, "read")]


def _form_scopes(choices: list[ScopeChoice], errors: Errors) -> TokenScopes | None:
    chosen = {EVERY_ENTITY: request.form.get("scope.*", "")}
    chosen.update({c.name: request.form.get(f"scope.{c.name}", "") for c in choices})
    picked = {name: level for name, level in chosen.items() if level in LEVELS}
    if not picked:
        errors["scopes"] = [gettext(_("Choose what the token may read or write."))]
        return None
    if picked == {EVERY_ENTITY: "write"}:
        return TokenScopes.parse(EVERY_ENTITY)
    return TokenScopes.parse(picked)


def _form_expiry(errors: Errors) -> dt.datetime | None:
    text = request.form.get("days", "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        errors["days"] = [gettext(_("Enter a number of days from 1 to {most}."), most=MAX_DAYS)]
        return None
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=int(text))


def _reauthenticate(password: str, errors: Errors) -> int | None:
    """Check the signed-in user's ``password`` as signing in would; None when right, else
    the status to answer with (the reason goes to ``errors``). A wrong one is a failed
    sign-in for the throttle."""
    username = actor().username
    try:
        confirmed = login(officina().database, username, password,
                          address=request.remote_addr, ldap_settings=ldap_settings(),
                          hashing=officina().settings.passwords)
    except (LoginThrottled, LdapUnavailable) as exc:
        errors[PASSWORD_FIELD] = [exc.translate(translator())]
        return 429 if isinstance(exc, LoginThrottled) else 503
    if confirmed is None or confirmed.username != username:
        errors[PASSWORD_FIELD] = [gettext(_("Wrong password."))]
        return 400
    return None


def _page(owner: Actor, admin: bool, errors: Errors | None = None,
          secret: str | None = None, created: TokenInfo | None = None,
          status: int = 200) -> tuple[str, int]:
    with officina().database.read() as connection:
        tokens = list_tokens(connection, owner.username)
    return render_template(
        "api_tokens.html", owner=owner.username, admin=admin, tokens=tokens,
        current_user=actor().username,
        choices=_choices(owner), errors=errors or {}, secret=secret, created=created,
        form=request.form if errors else {}, when=_when, levels=LEVELS,
        action=(url_for("tokens.admin_create", username=owner.username) if admin
                else url_for("tokens.create")),
        revoke=lambda token_id: (
            url_for("tokens.admin_revoke", username=owner.username, token_id=token_id)
            if admin else url_for("tokens.revoke", token_id=token_id))), status


def _create(owner: Actor, admin: bool) -> tuple[str, int]:
    errors: Errors = {}
    choices = _choices(owner)
    scopes = _form_scopes(choices, errors)
    expires = _form_expiry(errors)
    name = request.form.get("name", "")
    if not name.strip():
        errors["name"] = [gettext(_("Give the token a name, to know later what uses it."))]
    password = request.form.get(PASSWORD_FIELD, "")
    if not password:
        errors[PASSWORD_FIELD] = [gettext(_("Enter your password to create a token."))]
    if errors or scopes is None:
        return _page(owner, admin, errors, status=400)
    refused = _reauthenticate(password, errors)
    if refused is not None:
        return _page(owner, admin, errors, status=refused)
    try:
        with officina().database.write() as connection:
            secret, created = create_token(
                connection, owner.username, name, scopes, created_by=actor().username,
                entities=[c.name for c in choices], expires_at=expires,
                translator=translator())
    except RecordValidationError as exc:
        return _page(owner, admin, dict(exc.field_errors), status=400)
    return _page(owner, admin, secret=secret, created=created)


def _revoke(owner: Actor, token_id: int) -> None:
    try:
        with officina().database.write() as connection:
            revoked = revoke_token(connection, token_id, actor().username,
                                   owner=owner.username)
    except NotFound:
        raise PageNotFound() from None
    flash(gettext(_("Token {name} revoked: it no longer works."), name=revoked.name), "success")


@token_pages.get("/account/tokens")
@access(USER)
def tokens() -> tuple[str, int]:
    """One's own API tokens, and a form for a new one."""
    return _page(actor(), admin=False)


@token_pages.post("/account/tokens")
@access(USER)
def create() -> tuple[str, int]:
    """Create a token for oneself; the page shows its secret this once."""
    return _create(actor(), admin=False)


@token_pages.post("/account/tokens/<int:token_id>/revoke")
@access(USER)
def revoke(token_id: int) -> Response:
    """Revoke one of one's own tokens."""
    _revoke(actor(), token_id)
    return redirect(url_for("tokens.tokens"))


@token_pages.get("/admin/users/<username>/tokens")
@access(ADMIN)
def admin_tokens(username: str) -> tuple[str, int]:
    """A user's API tokens, for an administrator."""
    return _page(_owner(username), admin=True)


@token_pages.post("/admin/users/<username>/tokens")
@access(ADMIN)
def admin_create(username: str) -> tuple[str, int]:
    """Create a token for a user (acting as that user); the secret is shown this once."""
    return _create(_owner(username), admin=True)


@token_pages.post("/admin/users/<username>/tokens/<int:token_id>/revoke")
@access(ADMIN)
def admin_revoke(username: str, token_id: int) -> Response:
    """Revoke a user's token."""
    _revoke(_owner(username), token_id)
    return redirect(url_for("tokens.admin_tokens", username=username))


def navigation_items() -> list[NavItem]:
    """A link to one's API tokens."""
    return [NavItem(gettext(_("API tokens")), url_for("tokens.tokens"))]


BLUEPRINTS = [token_pages]
