"""Outgoing webhooks: one signed JSON POST per attempt, with a timeout and readable errors."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.json_encoding import to_json

SIGNATURE_HEADER = "X-Officina-Signature"
USER_AGENT = "Officina"
ERROR_BODY_CHARS = 200


class WebhookError(Exception):
    """One webhook call failed; the message is meant for an admin screen."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Treat 3xx as an answer: following it would drop the body or leave http(s)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


def sign(body: bytes, secret: str) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _display(url: str) -> str:
    """``url`` without any password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL must be http:// or https:// with a host, not {url!r}")


def _snippet(response: Any) -> str:
    try:
        raw = response.read(ERROR_BODY_CHARS * 4)
    except (OSError, http.client.HTTPException):
        return ""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text[:ERROR_BODY_CHARS]


def _failure(shown: str, exc: BaseException, timeout: float) -> WebhookError:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return WebhookError(f"webhook {shown}: no answer, timed out after {timeout:g}s")
    if isinstance(reason, ConnectionRefusedError):
        return WebhookError(f"webhook {shown}: connection refused")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return WebhookError(f"webhook {shown}: TLS certificate not trusted:"
                            f" {reason.verify_message or reason}")
    if isinstance(reason, http.client.RemoteDisconnected):
        return WebhookError(f"webhook {shown}: connection closed without an answer")
    if isinstance(reason, OSError):
        return WebhookError(f"webhook {shown}: {reason.strerror or reason}")
    return WebhookError(f"webhook {shown}: {reason}")


def call_webhook(url: str, payload: Mapping[str, Any], *, secret: str | None = None,
                 timeout: float = 10, headers: Mapping[str, str] | None = None) -> int:
    """POST ``payload`` as UTF-8 JSON once; return the 2xx status or raise ``WebhookError``.

    With ``secret``, the body's HMAC-SHA256 goes in ``X-Officina-Signature: sha256=<hex>``.
    Redirects are not followed; ``timeout`` applies to connecting and to each read.
    """
    _check_url(url)
    if timeout <= 0:
        raise ValueError("webhook timeout must be positive")
    body = to_json(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (checked)
    for name, value in (headers or {}).items():
        if any(ch in f"{name}{value}" for ch in "\r\n"):
            raise ValueError(f"webhook header {name!r}: newlines are not allowed")
        request.add_header(name, value)
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    if secret is not None:
        request.add_header(SIGNATURE_HEADER, sign(body, secret))
    opener = urllib.request.build_opener(_NoRedirect)
    shown = _display(url)
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        try:
            snippet = _snippet(exc)
        finally:
            exc.close()
        detail = f": {snippet}" if snippet else ""
        if 300 <= exc.code < 400:
            detail += " (redirects are not followed)"
        raise WebhookError(f"webhook {shown} answered {exc.code}{detail}",
                           status=exc.code) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _failure(shown, exc, timeout) from exc


__all__ = ["SIGNATURE_HEADER", "WebhookError", "call_webhook", "sign"]
