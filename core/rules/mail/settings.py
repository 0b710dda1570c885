"""How mail leaves: the ``[mail]`` table of officina.toml (SMTP server or file folder)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

SECURITY_MODES = ("none", "starttls", "ssl")
BACKENDS = ("smtp", "file")
DEFAULT_FOLDER = "mail"  # the file backend's folder, inside the instance
FILE_SENDER = "Officina <officina@localhost>"  # the file backend's From when none is given


def has_newline(value: str) -> bool:
    """Whether ``value`` holds a line break or another control character (NUL, a vertical
    tab, U+2028...): none belongs in a header."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)


@dataclass(frozen=True, kw_only=True)
class MailSettings:
    """How mail leaves: the ``[mail]`` table of officina.toml.

    ``backend`` ``smtp`` (the default) sends through the SMTP server ``host``; ``file`` stores
    each message as an .eml file in ``folder`` instead (see ``core.rules.mail_files``).
    """

    sender: str
    host: str = ""
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None
    local_hostname: str | None = None
    backend: str = "smtp"
    folder: str = DEFAULT_FOLDER

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"mail settings: backend must be one of {', '.join(BACKENDS)},"
                             f" not {self.backend!r}")
        if self.backend == "smtp" and not self.host:
            raise ValueError("mail settings: host must not be empty")
        if not self.folder:
            raise ValueError("mail settings: folder must not be empty")
        if self.security not in SECURITY_MODES:
            raise ValueError(f"mail settings: security must be one of {', '.join(SECURITY_MODES)},"
                             f" not {self.security!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"mail settings: port {self.port} is out of range")
        if self.timeout <= 0:
            raise ValueError("mail settings: timeout must be positive")
        if has_newline(self.sender) or "@" not in parseaddr(self.sender)[1]:
            raise ValueError(f"mail settings: sender {self.sender!r} is not an e-mail address")
        if self.password is not None and not self.username:
            raise ValueError("mail settings: password given without username")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], instance: Path | None = None) -> MailSettings:
        """Settings from a ``[mail]`` table; ``ValueError`` names unknown, missing or bad keys.

        A relative ``folder`` is taken inside ``instance`` (the instance folder), when given.
        """
        types: dict[str, tuple[type, ...]] = {
            "backend": (str,), "host": (str,), "sender": (str,), "port": (int,),
            "security": (str,), "username": (str,), "password": (str,),
            "timeout": (int, float), "ca_file": (str,), "local_hostname": (str,),
            "folder": (str,),
        }
        unknown = sorted(set(values) - set(types))
        if unknown:
            raise ValueError(f"[mail]: unknown key(s) {', '.join(unknown)};"
                             f" expected some of {', '.join(types)}")
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, types[key]):
                wanted = " or ".join(t.__name__ for t in types[key])
                raise ValueError(f"[mail]: {key} must be {wanted}, not {value!r}")
        backend = values.get("backend", "smtp")
        if backend not in BACKENDS:
            raise ValueError(f"[mail]: backend must be one of {', '.join(BACKENDS)},"
                             f" not {backend!r}")
        required = ("host", "sender") if backend == "smtp" else ()
        missing = [key for key in required if key not in values]
        if missing:
            raise ValueError(f"[mail]: missing key(s) {', '.join(missing)}")
        settings = dict(values)
        if backend == "file":
            settings.setdefault("sender", FILE_SENDER)
            folder = settings.get("folder", DEFAULT_FOLDER)
            if folder and instance is not None and not Path(folder).is_absolute():
                settings["folder"] = str(instance / folder)
        return cls(**settings)


__all__ = ["BACKENDS", "DEFAULT_FOLDER", "FILE_SENDER", "SECURITY_MODES", "MailSettings",
           "has_newline"]
