"""Files uploaded through forms: checked against their field's type before they are stored.

Images must decode as PNG, JPEG, GIF or WebP (Pillow decodes them: not their name, the type
the browser claims or their first bytes decide; SVG, which can carry scripts, is not an image
here), within ``[limits] max_image_pixels``. Attachments may be
any document but not a program: executables and scripts are refused by content and by name.
A signature drawn on screen arrives as a ``data:image/png;base64,...`` URL.

The size of the whole request is limited by the application (``MAX_CONTENT_LENGTH``, from
``[web] max_upload_mb``), which answers 413 before a view runs.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from pathlib import PurePosixPath

from core.i18n import _
from core.images import ImageRefused, decoded_kind
from core.metadata.field_types import traits_of
from core.metadata.specs import FieldSpec
from core.records.file_keys import image_refusal
from core.records.limits import Limits

EXECUTABLE_MAGIC = (
    b"MZ",                   # Windows programs and libraries
    b"\x7fELF",              # Linux and Unix programs
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",  # Mach-O
    b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",     # Mach-O universal and Java classes
    b"#!",                   # scripts
)
EXECUTABLE_SUFFIXES = frozenset({
    ".exe", ".dll", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".cpl", ".jar",
    ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".sh", ".bash",
    ".app", ".apk", ".lnk", ".reg", ".elf", ".bin", ".run",
})
SIGNATURE_PREFIX = "data:image/png;base64,"


class UploadRefused(ValueError):
    """A file that does not fit its field; the message is translated."""


def is_executable(data: bytes, name: str) -> bool:
    """Whether ``data`` (named ``name``) looks like a program or a script."""
    suffixes = {s.lower() for s in PurePosixPath(name.replace("\\", "/")).suffixes}
    return data.startswith(EXECUTABLE_MAGIC) or bool(suffixes & EXECUTABLE_SUFFIXES)


def check_upload(field: FieldSpec, data: bytes, name: str, gettext: Callable[..., str],
                 max_pixels: int = Limits.max_image_pixels) -> None:
    """Refuse (``UploadRefused``) a file whose content does not fit ``field``."""
    if not data:
        raise UploadRefused(gettext(_("The file \"{name}\" is empty."), name=name))
    if traits_of(field).image:
        try:
            decoded_kind(data, max_pixels)
        except ImageRefused as exc:
            raise UploadRefused(image_refusal(exc, name, max_pixels, gettext)) from None
    elif is_executable(data, name):
        raise UploadRefused(gettext(_("\"{name}\" is a program or a script: such files "
                                      "cannot be attached."), name=name))


def signature_png(data_url: str, gettext: Callable[..., str],
                  max_pixels: int = Limits.max_image_pixels) -> bytes:
    """The PNG bytes of a signature drawn on screen (a ``data:`` URL), decoded as a PNG
    within ``max_pixels``."""
    refused = UploadRefused(gettext(_("The signature could not be read: draw it again.")))
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise refused
    try:
        data = base64.b64decode(data_url[len(SIGNATURE_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise refused from None
    try:
        decoded_kind(data, max_pixels, ("PNG",))
    except ImageRefused:
        raise refused from None
    return data
