"""Identifier checks of string fields (``check: it.iva``), backed by python-stdnum.

``check: rrule`` is Officina's own: an RFC 5545 recurrence rule that can happen
(core/recurrence.py).

A check names a python-stdnum module (``iban``, ``eu.vat``, ``it.codicefiscale``...). A value
is valid when the module's ``validate`` accepts it, and is stored in the form ``validate``
returns: stdnum's compact form, without spaces or separators, in capitals.

The VAT module of an EU member state (``it.iva``, ``de.vat``, ``fr.tva``...) also follows the
VIES convention: the value may be typed with or without its country prefix and is stored
with it (``01234567897`` and ``IT 0123 456 7897`` both become ``IT01234567897``); a value
carrying another member state's prefix (``DE136695976``) is checked as that country's VAT
number, so a company's foreign EU customers fit the same field.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.util import get_cc_module

from core import recurrence
from core.i18n import Translator, _

CHECK_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
PREFIX = re.compile(r"^\s*([A-Za-z]{2})")

# What a user is told, per check; VAT modules of member states share the VAT message.
MESSAGES = {
    "eu.vat": _("Not a valid VAT number."),
    "it.codicefiscale": _("Not a valid fiscal code."),
    "iban": _("Not a valid IBAN."),
    "bic": _("Not a valid BIC (SWIFT) code."),
    "isbn": _("Not a valid ISBN."),
    "ean": _("Not a valid EAN barcode."),
    "rrule": _("Not a recurrence rule that can happen (RFC 5545, e.g. FREQ=MONTHLY;BYDAY=1TU)."),
}
VAT_MESSAGE = MESSAGES["eu.vat"]
FALLBACK = _("Not a valid value ({check}).")
# Why, when stdnum says: appended to the message as a second sentence.
REASONS: tuple[tuple[type[Exception], str], ...] = (
    (stdnum_errors.InvalidChecksum, _("The check digit is wrong.")),
    (stdnum_errors.InvalidLength, _("It has the wrong number of characters.")),
    (stdnum_errors.InvalidFormat, _("It contains characters that do not belong there.")),
)


# Checks of Officina's own, following stdnum's module protocol (validate, is_valid).
OWN_CHECKS: dict[str, ModuleType] = {"rrule": recurrence}


class CheckFailed(ValueError):
    """A value that the check refuses; ``message`` is already translated."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Check:
    """One stdnum-backed check: its module and, for a member state's VAT, its country."""

    name: str
    module: ModuleType
    country: str | None = None  # upper-case VIES prefix, e.g. "IT" (Greece is "EL")

    def normalise(self, value: str, t: Translator) -> str:
        """``value`` in its stored form; ``CheckFailed`` with a translated message if invalid."""
        try:
            if self.country is None:
                return str(self.module.validate(value))
            prefix = PREFIX.match(value)
            if prefix and prefix[1].upper() != self.country:
                return str(eu_vat.validate(value))
            return self.country + str(self.module.validate(value)).removeprefix(self.country)
        except stdnum_errors.ValidationError as exc:
            raise CheckFailed(self.message(t, exc)) from None

    def message(self, t: Translator, error: Exception | None = None) -> str:
        """The translated message for a refused value, with stdnum's reason when it has one."""
        if self.country is not None:
            text = t.gettext(VAT_MESSAGE)
        elif self.name in MESSAGES:
            text = t.gettext(MESSAGES[self.name])
        else:
            text = t.gettext(FALLBACK, check=self.name)
        reason = next((r for kind, r in REASONS if isinstance(error, kind)), None)
        return f"{text} {t.gettext(reason)}" if reason else text


def _vat_country(module: ModuleType) -> str | None:
    """The VIES prefix of the member state whose VAT module ``module`` is, else None."""
    parts = module.__name__.split(".")
    if len(parts) != 3 or parts[1] not in eu_vat.MEMBER_STATES or parts[1] == "xi":
        return None
    if get_cc_module(parts[1], "vat") is not module:
        return None
    return "EL" if parts[1] == "gr" else parts[1].upper()


@cache
def find_check(name: str) -> Check | None:
    """The check called ``name`` (a python-stdnum module with ``validate``), or None."""
    if name in OWN_CHECKS:
        return Check(name=name, module=OWN_CHECKS[name])
    if not CHECK_NAME.fullmatch(name):
        return None
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError:
        return None
    if not (callable(getattr(module, "validate", None))
            and callable(getattr(module, "is_valid", None))):
        return None
    return Check(name=name, module=module, country=_vat_country(module))


@dataclass(frozen=True)
class PackCheck:
    """A check a pack adds through its hooks (``officina_field_checks``): ``function`` takes
    the typed text and returns it in its stored form, or raises ``ValueError`` whose message
    (translated through the instance's catalogs) the user is shown."""

    name: str
    function: Callable[[str], str]

    def normalise(self, value: str, t: Translator) -> str:
        """``value`` in its stored form; ``CheckFailed`` with a translated message if invalid."""
        try:
            return str(self.function(value))
        except ValueError as exc:
            message = str(exc)
            raise CheckFailed(t.gettext(message) if message
                              else t.gettext(FALLBACK, check=self.name)) from None
