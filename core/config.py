"""Settings of an Officina instance: from its folder's officina.toml, the environment and flags."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.i18n import SUPPORTED_LANGUAGES
from core.metadata.loader import BUILTIN_PACKS
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.sandbox import DEFAULT_LIMITS, SandboxLimits
from core.storage.lock_settings import DEFAULT_LOCKS, MigrationLocks

CONFIG_FILE = "officina.toml"
DEFAULT_PACKS = ("service",)
MAIL_BACKENDS = ("smtp", "file")  # as core.rules.mail.BACKENDS, which tests keep equal


@dataclass(frozen=True)
class Settings:
    """Where the instance lives and what it runs."""

    instance: Path
    database_url: str
    packs: tuple[str, ...] = DEFAULT_PACKS
    pack_paths: tuple[Path, ...] = (BUILTIN_PACKS,)
    count_limit: int = 10_000
    registry_check_interval: float = 1.0
    mail: dict | None = None
    timezone: str = "Europe/Rome"
    ldap: dict | None = None
    web: dict | None = None
    limits: dict | None = None  # [limits]: core.records.limits.Limits
    passwords: PasswordHashing = PRODUCTION_HASHING
    sandbox: SandboxLimits = DEFAULT_LIMITS
    migrations: MigrationLocks = DEFAULT_LOCKS
    languages: tuple[str, ...] = SUPPORTED_LANGUAGES  # [i18n] languages: what users may pick


def default_database_url(instance: Path) -> str:
    """The SQLite file inside the instance folder."""
    return f"sqlite:///{(instance / 'officina.sqlite3').resolve()}"


def load_settings(instance: str | Path | None = None, database_url: str | None = None) -> Settings:
    """Settings from (in increasing priority) defaults, officina.toml, environment, arguments."""
    folder = Path(instance or os.environ.get("OFFICINA_INSTANCE") or "instance")
    values: dict = {}
    config_path = folder / CONFIG_FILE
    if config_path.is_file():
        with config_path.open("rb") as handle:
            values = tomllib.load(handle)
    url = (database_url or os.environ.get("OFFICINA_DATABASE_URL")
           or values.get("database_url") or default_database_url(folder))
    packs = tuple(values.get("packs") or DEFAULT_PACKS)
    extra = [Path(p) if Path(p).is_absolute() else folder / p
             for p in values.get("pack_paths", [])]
    env_paths = [Path(p) for p in os.environ.get("OFFICINA_PACK_PATHS", "").split(os.pathsep) if p]
    return Settings(
        instance=folder,
        database_url=url,
        packs=packs,
        pack_paths=tuple([*env_paths, *extra, BUILTIN_PACKS]),
        count_limit=int(values.get("count_limit", 10_000)),
        registry_check_interval=float(values.get("registry_check_interval", 1.0)),
        mail=values.get("mail"),
        timezone=str(values.get("timezone", "Europe/Rome")),
        ldap=values.get("ldap"),
        web=values.get("web"),
        limits=values.get("limits"),
        passwords=PasswordHashing.from_dict(values.get("passwords") or {}),
        sandbox=SandboxLimits.from_dict(values.get("sandbox") or {}),
        migrations=MigrationLocks.from_dict(values.get("migrations") or {}),
        languages=offered_languages((values.get("i18n") or {}).get("languages")),
    )


def offered_languages(configured: object) -> tuple[str, ...]:
    """The languages an instance offers, from ``[i18n] languages`` (default: every language
    Officina has catalogs for). The first is the language of a browser that asks for none of
    them. ``ValueError`` for an empty list or a language without catalogs."""
    if configured is None:
        return SUPPORTED_LANGUAGES
    if not isinstance(configured, list) or not configured or not all(
            isinstance(code, str) for code in configured):
        raise ValueError("[i18n] languages must be a non-empty list of language codes, "
                         f"such as {list(SUPPORTED_LANGUAGES)}")
    unknown = [code for code in configured if code not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ValueError(f"[i18n] languages: no catalogs for {', '.join(unknown)} "
                         f"(Officina speaks {', '.join(SUPPORTED_LANGUAGES)})")
    return tuple(dict.fromkeys(configured))


def _mail_section(backend: str) -> str:
    """The ``[mail]`` part of a new officina.toml: an SMTP example, or the file backend."""
    smtp = ("# host = \"smtp.example.com\"\n# port = 587\n"
            "# security = \"starttls\"   # none, starttls or ssl\n"
            "# username = \"officina@example.com\"\n# password = \"...\"\n"
            "# sender = \"Officina <officina@example.com>\"\n")
    if backend == "file":
        return ("\n# Outgoing mail, sent by `officina worker`: the file backend keeps each\n"
                "# message in the instance (read them with `officina mail list` or on\n"
                "# /admin/mail) instead of sending it. To send through an SMTP server, set\n"
                "# backend = \"smtp\" and fill in the rest:\n"
                "[mail]\nbackend = \"file\"\n# folder = \"mail\"   # inside the instance folder\n"
                + smtp)
    return "\n# Outgoing mail, sent by `officina worker`:\n# [mail]\n" + smtp


def _web_section(base_url: str | None) -> str:
    """The ``[web]`` part of a new officina.toml, with ``base_url`` set when given."""
    settings = ("# secure_cookies = true   # behind HTTPS\n"
                "# max_upload_mb = 20   # a whole request, files included (413 beyond)\n"
                "# max_form_field_mb = 2   # one form field, or a whole form without files\n"
                "# max_form_parts = 10000   # fields and files of one form\n"
                "# session_idle_minutes = 120   # a session ends after this long unused\n"
                "# session_hours = 12   # and this long after sign-in, used or not\n")
    if base_url:
        return ("\n# The web application (`officina run`, or gunicorn: see README); mailed\n"
                "# links (password resets) use base_url, never the address a request came to:\n"
                f"[web]\nbase_url = {json.dumps(base_url)}\n" + settings)
    return ("\n# The web application (`officina run`, or gunicorn: see README):\n# [web]\n"
            + settings + "# base_url = \"https://officina.example.com\"   # needed for links "
            "in mails\n")


def write_default_config(folder: Path, packs: tuple[str, ...] = DEFAULT_PACKS,
                         mail_backend: str = "smtp", base_url: str | None = None) -> Path:
    """Create officina.toml with the defaults spelled out, unless one exists.

    ``mail_backend`` ``file`` writes a ``[mail]`` table that keeps mail in the instance;
    ``smtp`` leaves a commented SMTP example to fill in. ``base_url`` sets the address
    mailed links point to.
    """
    if mail_backend not in MAIL_BACKENDS:
        raise ValueError(f"mail backend must be one of {', '.join(MAIL_BACKENDS)}, "
                         f"not {mail_backend!r}")
    path = folder / CONFIG_FILE
    if not path.exists():
        listed = ", ".join(f'"{p}"' for p in packs)
        path.write_text(
            "# Officina instance settings. OFFICINA_DATABASE_URL or --db override database_url.\n"
            "# database_url = \"postgresql://officina@localhost/officina\"\n"
            f"packs = [{listed}]\n"
            "# pack_paths = [\"../my-packs\"]   # folders holding more packs\n"
            "count_limit = 10000  # list totals past this are shown as \"10000+\"\n"
            + _mail_section(mail_backend) + _web_section(base_url) +
            "\n# The cost of new argon2id password hashes (argon2's defaults; stored hashes keep\n"
            "# the cost they were made with):\n"
            "# [passwords]\n# time_cost = 3\n# memory_cost = 65536   # KiB\n# parallelism = 4\n"
            "\n# Limits on what one request may ask (see docs/architecture.md, Limits):\n"
            "# [limits]\n# max_lines = 1000   # lines of one child table in one record\n"
            "# max_filter_depth = 8\n# max_filter_items = 500\n"
            "# max_filter_conditions = 200\n# max_image_pixels = 40000000\n"
            "\n# How long a schema change on PostgreSQL waits for a busy table (readers wait\n"
            "# behind it meanwhile), and how often it tries again:\n"
            "# [migrations]\n# lock_timeout = 0.5   # seconds\n# lock_attempts = 5\n"
            "# retry_pause = 1.0   # seconds, doubling after each attempt\n"
            "\n# The languages users may choose (the first for browsers asking for none):\n"
            f"# [i18n]\n# languages = {json.dumps(list(SUPPORTED_LANGUAGES))}\n"
            "\n# Sign-in through a directory (LDAP); see README:\n"
            "# [ldap]\n# urls = [\"ldap://ldap.example.com\"]\n"
            "# base_dn = \"dc=example,dc=com\"\n")
    return path
