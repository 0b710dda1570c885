"""Giving a fully written file its final name, atomically and without replacing another."""

from __future__ import annotations

import errno
import os
from pathlib import Path

# What a filesystem without hard links (vfat, some network and FUSE mounts) answers.
NO_HARD_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV)


def publish(temporary: Path, final: Path) -> None:
    """Rename ``temporary`` to ``final`` unless ``final`` exists (``FileExistsError``).

    A hard link is atomic and never replaces: readers see the whole file or none, and of
    two processes publishing one name the first wins. Without hard links the file is
    renamed if the name is still free. ``temporary`` is gone afterwards, either way.
    """
    try:
        os.link(temporary, final)
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            temporary.unlink(missing_ok=True)
            raise
        if final.exists():
            temporary.unlink(missing_ok=True)
            raise FileExistsError(errno.EEXIST, "exists", str(final)) from exc
        os.replace(temporary, final)
        return
    temporary.unlink()
