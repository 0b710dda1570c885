"""Images checked by decoding them (Pillow): the format must be allowed and the size bounded.

A file's first bytes can say PNG while the rest is anything; decoding it is the only proof it
is an image a browser and a Word document can show. The pixel count is checked from the
header, before any decoding, so a small file that would inflate to gigabytes (a
decompression bomb) is refused without being decoded.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

# Pillow's format names of the raster images fields accept (SVG, which can carry scripts,
# is not among them).
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}


class ImageRefused(ValueError):
    """Data that is not an allowed image; ``reason`` is ``format`` or ``pixels``."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def decoded_kind(data: bytes, max_pixels: int, formats: tuple[str, ...] = tuple(IMAGE_FORMATS)
                 ) -> str:
    """The kind (``png``, ``jpeg``, ``gif``, ``webp``) of ``data`` once fully decoded.

    ``ImageRefused("format")`` when it does not decode as one of ``formats`` (Pillow's
    names), ``ImageRefused("pixels")`` when its width times height exceeds ``max_pixels``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(formats)) as image:
                if image.width * image.height > max_pixels:
                    raise ImageRefused("pixels")
                kind = IMAGE_FORMATS.get(image.format or "")
                image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            MemoryError):
        raise ImageRefused("format") from None
    if kind is None:
        raise ImageRefused("format")
    return kind
