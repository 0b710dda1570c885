"""Which file keys a write may put in attachment and image fields.

A key names stored content (``<sha256>/<name>``), and anyone who has read it elsewhere, on
a record or in a download link, could post it. So a key may be written only when

- it is already the value of this field of this record or line (kept as it was), or
- the acting user uploaded that content (the file store keeps who did), or
- the actor is an administrator or the engine itself (rules, the worker), who read
  everything anyway.

Whether another record holds the same key does not matter: the store keeps each content once,
and a user who uploaded the same bytes owns them as much as the first uploader. An image must
also decode as an allowed image within the configured pixel limit.
"""

from __future__ import annotations

from collections.abc import Callable

from core.i18n import _
from core.images import ImageRefused, decoded_kind
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec
from core.records.write_context import Prepared, WriteContext


def image_refusal(exc: ImageRefused, name: str, max_pixels: int,
                  gettext: Callable[..., str]) -> str:
    """The translated reason an image named ``name`` was refused."""
    if exc.reason == "pixels":
        return gettext(_("\"{name}\" is too large an image: at most {pixels} pixels (width "
                         "times height)."), name=name, pixels=max_pixels)
    return gettext(_("\"{name}\" is not a PNG, JPEG, GIF or WebP image."), name=name)


def check_file_keys(ctx: WriteContext, entity: EntitySpec, prepared: Prepared,
                    prefix: str) -> None:
    """Field errors in ``ctx`` for file keys this write may not put in ``entity``'s fields."""
    if ctx.files is None:
        return
    t = ctx.translator
    for spec in entity.stored_fields:
        key = prepared.values.get(spec.name)
        if not traits_of(spec).file or not key or key == prepared.current.get(
                spec.name):
            continue
        name = key.split("/", 1)[-1]
        if not ctx.files.exists(key):
            ctx.error(prefix + spec.name, t.gettext(
                _("The file \"{name}\" is not stored: upload it first."), name=name))
        elif not (ctx.trusted or ctx.actor_admin or ctx.files.uploaded_by(key, ctx.username)):
            ctx.error(prefix + spec.name, t.gettext(
                _("The file \"{name}\" was not uploaded by you: upload it here."), name=name))
        elif traits_of(spec).image:
            pixels = ctx.limits.max_image_pixels
            try:
                decoded_kind(ctx.files.read(key), pixels)
            except ImageRefused as exc:
                ctx.error(prefix + spec.name, image_refusal(exc, name, pixels, t.gettext))
