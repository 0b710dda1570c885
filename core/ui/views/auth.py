"""Signing in and out, and choosing the language."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from core.auth.errors import LdapUnavailable, LoginThrottled
from core.auth.ldap_settings import LdapSettings
from core.auth.login import login as authenticate
from core.ui.access import PUBLIC, USER, access
from core.ui.context import gettext, offered_languages, officina, translator
from core.ui.security import safe_next
from core.ui.sessions import begin_session, current_session, finish_session
from core.users import set_user_language

auth_pages = Blueprint("auth", __name__)


def ldap_settings() -> LdapSettings | None:
    """The directory settings of this instance, if it signs users in through LDAP."""
    if "officina_ldap" not in current_app.extensions:
        configured = officina().settings.ldap
        current_app.extensions["officina_ldap"] = (
            LdapSettings.from_dict(configured) if configured else None)
    return current_app.extensions["officina_ldap"]


@auth_pages.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login() -> Response | str | tuple[str, int]:
    """The sign-in form; on success a new server-side session starts (``core.ui.sessions``)."""
    target = request.values.get("next")
    if request.method == "GET":
        return render_template("login.html", next=target, error=None, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    error, status = None, 200
    if not username or not password:
        error, status = gettext("Enter your username and password."), 400
    else:
        try:
            database = officina().database
            signed_in = authenticate(database, username, password,
                                     address=request.remote_addr,
                                     ldap_settings=ldap_settings(),
                                     hashing=officina().settings.passwords)
        except (LoginThrottled, LdapUnavailable) as exc:
            signed_in = None
            error = exc.translate(translator())
            status = 429 if isinstance(exc, LoginThrottled) else 503
        else:
            if signed_in is None:
                error, status = gettext("Wrong username or password."), 401
            elif not signed_in.roles:
                # Right password but no role (e.g. a directory user in no mapped group): the
                # profile exists, so an administrator can give it a role; until then, no entry.
                error, status = gettext("You have no access to Officina yet: ask an "
                                        "administrator to give you a role."), 403
    if error is not None:
        return render_template("login.html", next=target, error=error,
                               username=username), status
    begin_session(signed_in.username)
    return redirect(safe_next(target))


@auth_pages.post("/logout")
@access(USER)
def logout() -> Response:
    """End the session: its row too, so a copy of the cookie is refused from now on."""
    finish_session()
    return redirect(url_for("auth.login"))


@auth_pages.post("/language")
@access(PUBLIC)
def choose_language() -> Response:
    """Switch language; a signed-in user's choice is stored in their profile."""
    chosen = request.form.get("language", "")
    if chosen in offered_languages():
        session["language"] = chosen
        signed_in = current_session()
        if signed_in is not None:
            with officina().database.write() as connection:
                set_user_language(connection, signed_in.username, chosen)
    g.language = chosen
    return redirect(safe_next(request.form.get("next")))


BLUEPRINTS = [auth_pages]
