"""The signed-in user's password, and "forgot your password?" with a mailed single-use link.

Changing or resetting a password ends the user's other sessions (``core.auth.sessions``);
the session that changed it stays signed in. A wrong current password and an invalid reset
link count toward the sign-in throttle (``core.auth.throttle``) like a wrong sign-in. The
reset form answers the same whether or not the account exists, and the link is built from
``[web] base_url`` only (without it, no link is offered).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import NotFound

from core.auth.errors import LoginThrottled, PasswordRejected, ResetTokenInvalid
from core.auth.local import change_own_password
from core.auth.passwords import has_local_password
from core.auth.policy import MIN_LENGTH
from core.auth.reset import reset_password as apply_reset
from core.auth.reset import token_username
from core.auth.reset_mail import ResetThrottled, request_reset
from core.auth.throttle import check_throttle, record_attempt
from core.ui.access import PUBLIC, USER, access
from core.ui.context import actor, gettext, officina, translator
from core.ui.sessions import current_session_id, finish_session
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
        try:  # this session stays; the others end
            change_own_password(officina().database, username, old, new,
                                address=request.remote_addr, keep_session=current_session_id(),
                                hashing=officina().settings.passwords)
        except PasswordRejected as exc:
            errors = _translated(exc.field_errors)
        except LoginThrottled as exc:
            return render_template("account_password.html", directory=False, errors={},
                                   throttled=exc.translate(translator())), 429
    if errors:
        return render_template("account_password.html", directory=False, errors=errors), 400
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
    """Choose a new password with a mailed token; then sign in with it.

    An unknown, used or expired token counts as a failed sign-in of the client's address,
    and a locked-out address is refused (429) even with a good token.
    """
    database, address = officina().database, request.remote_addr
    try:
        with database.read() as connection:
            check_throttle(connection, None, address)
            username = token_username(connection, token)
    except LoginThrottled as exc:
        return render_template("account_reset.html", invalid=True, errors={},
                               throttled=exc.translate(translator()),
                               can_ask=mail_configured()), 429
    if username is None:
        with database.write() as connection:
            record_attempt(connection, None, address, success=False)
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
    finish_session()  # whoever was signed in in this browser is not any more
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
