"""What a field type is like, for the code that treats types alike: its traits.

Code outside the registries asks a field's traits (``traits_of(spec).numeric``), never its
type's name, so a new type behaves as the types it resembles by declaring the same traits.
"""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("text", "number", "time", "flag", "choice", "link", "table", "file")


@dataclass(frozen=True)
class Traits:
    """The traits of one field type.

    ``family`` is the kind of value: ``text``, ``number``, ``time`` (a date or a moment),
    ``flag`` (yes or no), ``choice`` (one or more options), ``link`` (another record),
    ``table`` (child lines) or ``file`` (a stored file's key).
    """

    family: str
    textual: bool = False  # free text: searched with "like", shown as typed
    numeric: bool = False  # a number: summed and averaged in reports
    rangeable: bool = False  # filtered by a from/to range on list and report pages
    groupable: bool = True  # a report may group its records by it
    file: bool = False  # holds the key of a stored file
    orderable: bool = True  # lists sort by it, reports take its minimum and maximum
    whole: bool = False  # a whole number (integer, duration in seconds)
    elapsed: bool = False  # a length of time in seconds, typed as h:mm
    multiple: bool = False  # several options in one value
    moment: bool = False  # a date and time of day, stored as naive UTC
    currency: bool = False  # an amount of money in the field's currency
    image: bool = False  # a file shown as a picture
    multiline: bool = False  # text of several lines

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown field-type family {self.family!r}: use one of "
                             + ", ".join(FAMILIES))


TEXT = Traits("text", textual=True)
LONG_TEXT = Traits("text", textual=True, multiline=True)
WHOLE_NUMBER = Traits("number", numeric=True, rangeable=True, whole=True)
DURATION = Traits("number", numeric=True, rangeable=True, whole=True, elapsed=True)
NUMBER = Traits("number", numeric=True, rangeable=True)
MONEY = Traits("number", numeric=True, rangeable=True, currency=True)
FLAG = Traits("flag")
DAY = Traits("time", rangeable=True)
MOMENT = Traits("time", rangeable=True, moment=True)
ONE_CHOICE = Traits("choice")
MANY_CHOICES = Traits("choice", multiple=True, groupable=False, orderable=False)
LINK = Traits("link")
TABLE = Traits("table", groupable=False, orderable=False)
FILE = Traits("file", file=True, groupable=False)
IMAGE = Traits("file", file=True, groupable=False, image=True)
