"""A throw-away OpenLDAP server for the tests: its own folder, port and ``slapd.conf``.

The directory holds ``dc=example,dc=org`` with people (alice, bob) and groupOfNames groups:
``techs`` (alice), ``techs-leads`` (bob) inside ``coordinators`` (nested), and two groups
that contain each other (a cycle). Unauthenticated binds (a DN with an empty password) are
allowed, so tests can check that the client refuses empty passwords itself.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

SLAPD = Path("/usr/sbin/slapd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-1"}


def ssha(password: str) -> str:
    """An OpenLDAP ``{SSHA}`` hash of ``password``."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


@contextmanager
def bob_replaces_alice_in_techs(server: SlapdServer) -> Iterator[None]:
    """The techs group has bob instead of alice until the block ends."""
    admin = server.admin()
    admin.modify(group_dn("techs"), {"member": [(MODIFY_ADD, [person_dn("bob")])]})
    admin.modify(group_dn("techs"), {"member": [(MODIFY_DELETE, [person_dn("alice")])]})
    try:
        yield
    finally:
        admin.modify(group_dn("techs"), {"member": [(MODIFY_ADD, [person_dn("alice")])]})
        admin.modify(group_dn("techs"), {"member": [(MODIFY_DELETE, [person_dn("bob")])]})
        admin.unbind()


def unauthenticated_bind(port: int, dn: str) -> int:
    """The result code of a raw simple bind as ``dn`` with an empty password.

    ldap3 refuses to send such a bind, so the BER message is written by hand.
    """
    name = dn.encode()
    assert len(name) < 120
    body = b"\x02\x01\x03" + b"\x04" + bytes([len(name)]) + name + b"\x80\x00"
    bind = b"\x60" + bytes([len(body)]) + body
    message = b"\x02\x01\x01" + bind
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"\x30" + bytes([len(message)]) + message)
        reply = sock.recv(4096)
    start = reply.index(b"\x61")  # BindResponse: [APPLICATION 1], then ENUMERATED resultCode
    assert reply[start + 2:start + 4] == b"\x0a\x01"
    return reply[start + 4]


def _free_ports(count: int) -> tuple[int, ...]:
    """``count`` distinct loopback ports free now (all held open while choosing)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return tuple(int(sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def _config(directory: Path) -> str:
    includes = "\n".join(f"include {SCHEMA_DIR / name}.schema"
                         for name in ("core", "cosine", "inetorgperson"))
    module = f"modulepath {MODULE_DIR}\nmoduleload back_mdb\n" \
        if (MODULE_DIR / "back_mdb.la").exists() or (MODULE_DIR / "back_mdb.so").exists() else ""
    return f"""{includes}
pidfile {directory / "slapd.pid"}
argsfile {directory / "slapd.args"}
{module}allow bind_anon_dn
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "{ADMIN_DN}"
rootpw {ssha(ADMIN_PASSWORD)}
directory {directory / "data"}
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
"""


@dataclass
class SlapdServer:
    """A running slapd; ``admin()`` gives a bound ldap3 connection as the root DN."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def admin(self) -> Connection:
        return Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True,
                          raise_exceptions=True)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _wait_ready(server: SlapdServer, deadline: float) -> None:
    while True:
        if server.process.poll() is not None:
            output = (server.directory / "slapd.log").read_text(errors="replace")
            raise RuntimeError(f"slapd exited with {server.process.returncode}:\n{output}")
        try:
            server.admin().unbind()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _seed(connection: Connection) -> None:
    connection.add(SUFFIX, ["dcObject", "organization"], {"o": "Example", "dc": "example"})
    for ou in ("people", "groups"):
        connection.add(f"ou={ou},{SUFFIX}", ["organizationalUnit"], {"ou": ou})
    people = {"alice": ("Alice Liddell", "Liddell"), "bob": ("Bob Builder", "Builder")}
    for uid, (cn, sn) in people.items():
        connection.add(person_dn(uid), ["inetOrgPerson"], {
            "uid": uid, "cn": cn, "sn": sn, "mail": f"{uid}@example.org",
            "userPassword": ssha(PASSWORDS[uid])})
    groups = {
        "techs": [person_dn("alice")],
        "techs-leads": [person_dn("bob")],
        "coordinators": [group_dn("techs-leads")],
        "loop-a": [person_dn("bob"), group_dn("loop-b")],
        "loop-b": [group_dn("loop-a")],
    }
    for cn, members in groups.items():
        connection.add(group_dn(cn), ["groupOfNames"], {"cn": cn, "member": members})


def launch(directory: Path, conf: Path, listen: Callable[[tuple[int, ...]], str],
           ports: int = 1, attempts: int = 3) -> tuple[SlapdServer, tuple[int, ...]]:
    """Start slapd with ``conf``, listening at ``listen(ports)`` for fresh free ports, and wait
    until it answers. A start that fails at once (another process took a port between its
    choice and slapd's bind) is tried again on other ports."""
    for attempt in range(attempts):
        chosen = _free_ports(ports)
        with (directory / "slapd.log").open("w") as log:
            process = subprocess.Popen(
                [str(SLAPD), "-d", "0", "-h", listen(chosen), "-f", str(conf)],
                stdout=log, stderr=subprocess.STDOUT)
        server = SlapdServer(directory, chosen[0], process)
        try:
            _wait_ready(server, time.monotonic() + 15)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            continue
        return server, chosen
    raise AssertionError("unreachable")


def start_slapd() -> SlapdServer:
    """Start slapd on a free port in a new temporary folder, seeded with the test entries."""
    if not SLAPD.exists():
        raise RuntimeError("OpenLDAP's slapd not found at /usr/sbin/slapd: install Debian's "
                           "'slapd' package (make test does this)")
    directory = Path(tempfile.mkdtemp(prefix="officina-slapd-"))
    (directory / "data").mkdir()
    conf = directory / "slapd.conf"
    conf.write_text(_config(directory))
    server, _ports = launch(directory, conf, lambda ports: f"ldap://127.0.0.1:{ports[0]}/")
    try:
        admin = server.admin()
        _seed(admin)
        admin.unbind()
    except BaseException:
        server.stop()
        raise
    return server
