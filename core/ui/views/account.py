"""The signed-in user's password, and "forgot your password?" with a mailed single-use link.

Changing or resetting a password ends the user's other sessions (``core.auth.sessions``);
the session that changed it stays signed in. The reset form answers the same whether or not
the account exists, and the link is built from ``[web] base_url`` (set it in production: the
request's host is used otherwise).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import NotFound

from core.auth.errors import PasswordRejected, ResetTokenInvalid
from core.auth.local import change_password
from core.auth.passwords import has_local_password
from core.auth.policy import MIN_LENGTH
from core.auth.reset import reset_password as apply_reset
from core.auth.reset import token_username
from core.auth.reset_mail import ResetThrottled, request_reset
from core.auth.sessions import SESSION_KEY, session_stamp
from core.ui.access import PUBLIC, USER, access
from core.ui.context import actor, gettext, officina, translator
from core.ui.views import NavItem

account_pages = Blueprint("account", __name__)

Errors = dict[str, list[str]]


@account_pages.context_processor
def _policy() -> dict[str, int]:
    return {"min_length": MIN_LENGTH}


def _base_url() -> str:
    """The instance's own address (``[web] base_url``): the only one mailed links use."""
    return str((officina().settings.web or {}).get("base_url") or "").rstrip("/")


def mail_configured() -> bool:
    """Whether this instance can mail links: mail settings and ``[web] base_url`` are both
    set (then "forgot your password?" is offered)."""
    return bool(officina().settings.mail) and bool(_base_url())


def reset_link(token: str) -> str:
    """The absolute address of the reset page for ``token``, on the configured base URL.

    Never the address the request came to: its Host header is the sender's to choose, and a
    reset link to another host would hand that host the token.
    """
    base = _base_url()
    if not base:
        raise RuntimeError("reset links need [web] base_url (check mail_configured first)")
    return f"{base}{url_for('account.reset_password', token=token)}"


def _translated(errors: dict[str, list[str]] | None) -> Errors:
    return {name: [gettext(m) for m in messages] for name, messages in (errors or {}).items()}


def _new_password_errors(new: str, repeated: str) -> Errors:
    errors: Errors = {}
    if not new:
        errors["new_password"] = [gettext("Enter the new password.")]
    elif new != repeated:
        errors["new_password_repeat"] = [gettext("The two new passwords differ.")]
    return errors


def _refresh_stamp(username: str) -> None:
    with officina().database.read() as connection:
        session[SESSION_KEY] = session_stamp(connection, username,
                                             current_app.config["SECRET_KEY"])


@account_pages.route("/account/password", methods=["GET", "POST"])
@access(USER)
def password() -> Response | str | tuple[str, int]:
    """Change one's own password: the current one, then the new one twice."""
    username = actor().username
    with officina().database.read() as connection:
        local = has_local_password(connection, username)
    if not local:
        return render_template("account_password.html", directory=True, errors={})
    if request.method == "GET":
        return render_template("account_password.html", directory=False, errors={})
    old = request.form.get("old_password", "")
    new = request.form.get("new_password", "")
    errors = _new_password_errors(new, request.form.get("new_password_repeat", ""))
    if not old:
        errors["old_password"] = [gettext("Enter your current password.")]
    if not errors:
        try:
            with officina().database.write() as connection:
                change_password(connection, username, old, new,
                                hashing=officina().settings.passwords)
        except PasswordRejected as exc:
            errors = _translated(exc.field_errors)
    if errors:
        return render_template("account_password.html", directory=False, errors=errors), 400
    _refresh_stamp(username)  # this session stays; the others end
    flash(gettext("Your password has been changed. Other sessions have been signed out."),
          "success")
    return redirect(url_for("home.home"))


@account_pages.route("/password/forgot", methods=["GET", "POST"])
@access(PUBLIC)
def forgot_password() -> Response | str | tuple[str, int]:
    """Ask for a reset link by username or e-mail; the answer never says whether it exists."""
    if not mail_configured():
        raise NotFound()
    if request.method == "GET":
        return render_template("account_forgot.html", sent=False, error=None, errors={})
    identifier = request.form.get("login", "").strip()[:254]
    if not identifier:
        return render_template("account_forgot.html", sent=False, error=None, errors={
            "login": [gettext("Enter your username or e-mail address.")]}), 400
    try:
        with officina().database.write() as connection:
            request_reset(connection, identifier, request.remote_addr, reset_link)
    except ResetThrottled as exc:
        return render_template("account_forgot.html", sent=False,
                               error=exc.translate(translator()), errors={}), 429
    return render_template("account_forgot.html", sent=True, error=None, errors={})


@account_pages.route("/password/reset/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password with a mailed token; then sign in with it."""
    with officina().database.read() as connection:
        username = token_username(connection, token)
    if username is None:
        return render_template("account_reset.html", invalid=True, errors={},
                               can_ask=mail_configured()), 404
    if request.method == "GET":
        return render_template("account_reset.html", invalid=False, errors={})
    new = request.form.get("new_password", "")
    errors = _new_password_errors(new, request.form.get("new_password_repeat", ""))
    if not errors:
        try:
            with officina().database.write() as connection:
                apply_reset(connection, token, new, hashing=officina().settings.passwords)
        except PasswordRejected as exc:
            errors = _translated(exc.field_errors)
        except ResetTokenInvalid:
            return render_template("account_reset.html", invalid=True, errors={},
                                   can_ask=mail_configured()), 404
    if errors:
        return render_template("account_reset.html", invalid=False, errors=errors), 400
    language = session.get("language")
    session.clear()  # whoever was signed in in this browser is not any more
    if language:
        session["language"] = language
    flash(gettext("Your password has been changed. Sign in with the new one."), "success")
    return redirect(url_for("auth.login"))


def login_links() -> list[NavItem]:
    """"Forgot your password?" under the sign-in form, when the instance can send mail."""
    if not mail_configured():
        return []
    return [NavItem(gettext("Forgot your password?"), url_for("account.forgot_password"))]


def navigation_items() -> list[NavItem]:
    """A link to change one's password."""
    return [NavItem(gettext("Change password"), url_for("account.password"))]


BLUEPRINTS = [account_pages]
