"""Webhooks: signed JSON POSTs to a real local HTTP server."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.rules.webhook import WebhookError, call_webhook


class Recorder(BaseHTTPRequestHandler):
    """Answers POSTs as ``server.behaviour`` says and records what it received."""

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server.received.append((self.path, dict(self.headers.items()), body))
        status, answer, delay = server.behaviour
        if delay:
            server.release.wait(delay)
        if status in (301, 302):
            self.send_response(status)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = answer.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # keep test output quiet
        pass


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    """Never route test requests through a proxy from the environment."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.received = []
    httpd.behaviour = (200, "ok", 0)
    httpd.release = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_payload_and_signature_arrive(server):
    httpd, base = server
    payload = {"event": "call.late", "ref": "SC-42", "note": "è in ritardo €",
               "due": datetime.date(2024, 5, 1), "amount": Decimal("12.50")}
    status = call_webhook(f"{base}/hooks/late", payload, secret="s3cret",
                          headers={"X-Tenant": "acme"})
    assert status == 200
    path, headers, body = httpd.received[0]
    assert path == "/hooks/late"
    assert json.loads(body.decode("utf-8")) == {
        "event": "call.late", "ref": "SC-42", "note": "è in ritardo €",
        "due": "2024-05-01", "amount": "12.50"}
    assert "è" in body.decode("utf-8")  # UTF-8, not \u escapes
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Officina-Signature"] == f"sha256={expected}"
    assert hmac.compare_digest(headers["X-Officina-Signature"], "sha256=" + expected)
    assert headers["User-Agent"] == "Officina"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Tenant"] == "acme"


def test_no_secret_no_signature(server):
    httpd, base = server
    httpd.behaviour = (204, "", 0)
    assert call_webhook(base, {"a": 1}) == 204
    assert "X-Officina-Signature" not in httpd.received[0][1]


def test_server_error_raises_with_status_and_body(server):
    httpd, base = server
    httpd.behaviour = (500, "database down " + "x" * 500, 0)
    with pytest.raises(WebhookError) as caught:
        call_webhook(f"{base}/y", {"a": 1})
    message = str(caught.value)
    assert message.startswith(f"webhook {base}/y answered 500: database down x")
    assert len(message) < len(f"webhook {base}/y answered 500: ") + 201
    assert caught.value.status == 500


def test_redirect_is_not_followed(server):
    httpd, base = server
    httpd.behaviour = (302, "", 0)
    with pytest.raises(WebhookError, match=r"answered 302.*redirects are not followed"):
        call_webhook(base, {"a": 1})
    assert len(httpd.received) == 1


def test_slow_server_times_out(server):
    httpd, base = server
    httpd.behaviour = (200, "late", 10)
    started = time.monotonic()
    with pytest.raises(WebhookError, match=r"timed out after 0\.5s") as caught:
        call_webhook(base, {"a": 1}, timeout=0.5)
    assert time.monotonic() - started < 3
    assert caught.value.status is None


def test_connection_refused():
    with pytest.raises(WebhookError, match="connection refused"):
        call_webhook("http://127.0.0.1:1/", {"a": 1}, timeout=2)


def test_password_is_hidden_in_messages():
    with pytest.raises(WebhookError) as caught:
        call_webhook("http://user:hunter2@127.0.0.1:1/x", {"a": 1}, timeout=2)
    assert "hunter2" not in str(caught.value) and "user:***@127.0.0.1:1" in str(caught.value)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi", "127.0.0.1:8080/x",
    "http:///no-host", "javascript:alert(1)",
])
def test_bad_scheme_refused(url):
    with pytest.raises(ValueError, match="http:// or https://"):
        call_webhook(url, {"a": 1})


def test_header_injection_refused():
    with pytest.raises(ValueError, match="newlines"):
        call_webhook("http://127.0.0.1:1/", {"a": 1}, headers={"X-A": "b\r\nX-Evil: 1"})
