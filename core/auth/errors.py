"""Authentication errors: English messages plus the template and values to translate them."""

from __future__ import annotations

from core.i18n import Translator
from core.records.errors import RecordError


class AuthError(RecordError):
    """Base of authentication errors; ``translate`` gives the message in another language."""

    code = "auth"

    def __init__(self, template: str, field_errors: dict[str, list[str]] | None = None,
                 **values: object):
        self.template = template
        self.values = values
        super().__init__(template.format(**values), field_errors)

    def translate(self, translator: Translator) -> str:
        """The message in the translator's language."""
        return translator.gettext(self.template, **self.values)


class LoginThrottled(AuthError):
    """Too many failed logins: ``retry_after`` seconds must pass before the next attempt."""

    code = "throttled"

    def __init__(self, template: str, retry_after: int):
        self.retry_after = retry_after
        super().__init__(template, minutes=max(1, -(-retry_after // 60)))


class PasswordRejected(AuthError):
    """A wrong current password, or a new one that breaks the password policy."""

    code = "password"


class ResetTokenInvalid(AuthError):
    """A reset token that is unknown, already used or expired."""

    code = "reset_token"


class LdapUnavailable(AuthError):
    """The directory cannot be reached, or the service account cannot bind."""

    code = "ldap_unavailable"
