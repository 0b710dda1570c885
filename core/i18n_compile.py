"""Compiled gettext catalogs: each ``.po`` file is compiled once into a ``.mo`` file.

The ``.po`` files are the sources kept in the repository; ``.mo`` files are build artefacts and
are never committed. A catalog is compiled the first time a process needs it, into a cache
folder (``OFFICINA_CATALOG_CACHE``, else ``$XDG_CACHE_HOME/officina/catalogs``, else
``~/.cache/officina/catalogs``), under a name made of the ``.po`` file's content hash: an
edited ``.po`` has another hash, so a stale ``.mo`` is never read, and a fresh clone, a test
run or a read-only installation needs no build step (when the folder cannot be written, the
catalog is compiled in memory). Compiling a catalog again removes its older ``.mo`` files.
Within a process a catalog is compiled again when its file's modification time or size
changes.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

CACHE_ENV = "OFFICINA_CATALOG_CACHE"
# Part of every cache key: raise it when the way catalogs are compiled changes.
COMPILER_VERSION = b"officina-mo-1"

_compiled: dict[tuple[Path, str], tuple[tuple[int, int], bytes]] = {}


def cache_dir() -> Path:
    """The folder compiled catalogs are kept in."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "officina" / "catalogs"


def compile_po(source: bytes, locale: str) -> bytes:
    """The ``.mo`` image of a ``.po`` file's content (fuzzy and empty entries left out)."""
    catalog = read_po(io.BytesIO(source), locale=locale)
    output = io.BytesIO()
    write_mo(output, catalog, use_fuzzy=False)
    return output.getvalue()


def file_signature(path: Path) -> tuple[int, int] | None:
    """A file's modification time and size; None when there is no such file."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (status.st_mtime_ns, status.st_size)


def compiled_po(path: Path, locale: str) -> bytes | None:
    """The compiled catalog of the ``.po`` file at ``path``; None when there is no file."""
    signature = file_signature(path)
    if signature is None:
        return None
    known = _compiled.get((path, locale))
    if known is not None and known[0] == signature:
        return known[1]
    source = path.read_bytes()
    digest = hashlib.sha256(COMPILER_VERSION + locale.encode() + b"\0" + source).hexdigest()
    target = cache_dir() / f"{path.stem}-{locale}-{digest[:32]}.mo"
    try:
        image = target.read_bytes()
    except OSError:
        image = compile_po(source, locale)
        _store(target, image, stale=f"{path.stem}-{locale}-*.mo")
    _compiled[(path, locale)] = (signature, image)
    return image


def _store(target: Path, image: bytes, stale: str) -> None:
    """Write ``image`` to ``target`` atomically, removing the older compilations of the same
    catalog (the files matching ``stale``); an unwritable cache is no error."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for older in target.parent.glob(stale):
            older.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp",
                                         delete=False) as handle:
            handle.write(image)
        os.replace(handle.name, target)
    except OSError:
        return


def empty_catalog(locale: str) -> bytes:
    """A compiled catalog without messages, with the plural rule of ``locale``."""
    key = (Path(), locale)
    known = _compiled.get(key)
    if known is None:
        output = io.BytesIO()
        try:
            catalog = Catalog(locale=locale)
        except (ValueError, UnknownLocaleError):  # not a locale Babel knows: English's plural rule
            catalog = Catalog(locale="en")
        write_mo(output, catalog)
        known = ((0, 0), output.getvalue())
        _compiled[key] = known
    return known[1]


def load(image: bytes, domain: str) -> Translations:
    """A new ``Translations`` object of ``domain`` read from a compiled catalog (without the
    header entry, which gettext would otherwise give as the translation of ``""``)."""
    translations = Translations(io.BytesIO(image), domain=domain)
    translations._catalog.pop("", None)
    return translations


def forget() -> None:
    """Forget the catalogs compiled in this process (the cache folder stays)."""
    _compiled.clear()
