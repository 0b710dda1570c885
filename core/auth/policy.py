"""The password policy: what a new password must satisfy."""

from __future__ import annotations

from core.i18n import _

MIN_LENGTH = 10


def password_problems(username: str, password: str) -> list[str]:
    """Why ``password`` is not acceptable for ``username`` (empty when it is)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("The password must be at least 10 characters long."))
    if password.strip().lower() == username.strip().lower():
        problems.append(_("The password must not be the username."))
    return problems
