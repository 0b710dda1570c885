"""Stored files for attachment and image fields: content-addressed, in the instance folder.

A field holds a key ``<sha256 of the content>/<file name>``; the bytes live once under
``<instance>/files/<2 hex>/<sha256>``, whatever the number of records that refer to them.

Who uploaded a content is kept beside it (``<sha256>.by/<sha256 of the user name>``, an empty
file per uploader): the records service lets a user write only keys of files they uploaded
(or the one a field already holds), so a key read elsewhere proves nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_NAME = 200


def safe_file_name(name: str) -> str:
    """A file name without folders or unusual characters (for keys and downloads)."""
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    cleaned = SAFE_NAME.sub("_", base).lstrip(".") or "file"
    return cleaned[-MAX_NAME:]


class FileStore:
    """Files kept by content hash under one folder."""

    def __init__(self, root: Path):
        self.root = root

    def _blob(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes, name: str, owner: str | None = None) -> str:
        """Store ``data`` (once per content) and return its key; ``owner`` uploaded it."""
        digest = hashlib.sha256(data).hexdigest()
        if owner is not None:
            marker = self._owners(digest) / _owner_digest(owner)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        blob = self._blob(digest)
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=blob.parent, delete=False) as handle:
                handle.write(data)
            os.replace(handle.name, blob)
        return f"{digest}/{safe_file_name(name)}"

    def _owners(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.by"

    def uploaded_by(self, key: str, username: str) -> bool:
        """Whether ``username`` stored the content that ``key`` names."""
        digest = key.split("/", 1)[0]
        return (bool(re.fullmatch(r"[0-9a-f]{64}", digest))
                and (self._owners(digest) / _owner_digest(username)).is_file())

    def exists(self, key: str) -> bool:
        """Whether the file a key names is stored."""
        digest = key.split("/", 1)[0]
        return bool(re.fullmatch(r"[0-9a-f]{64}", digest)) and self._blob(digest).is_file()

    def read(self, key: str) -> bytes:
        """The content of a stored file; ``FileNotFoundError`` when it is not stored."""
        if not self.exists(key):
            raise FileNotFoundError(key)
        return self._blob(key.split("/", 1)[0]).read_bytes()


def _owner_digest(username: str) -> str:
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()
