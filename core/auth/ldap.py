"""LDAP logins with ldap3: find the user with a service account, bind as the user, map groups.

``authenticate_ldap`` returns None for bad credentials and raises ``LdapUnavailable`` when
the directory cannot be reached or the service account is refused.
"""

from __future__ import annotations

import ssl

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from core.auth.errors import LdapUnavailable
from core.auth.ldap_settings import LdapSettings, LdapUser, normalise_dn
from core.auth.ldap_sync import sync_ldap_user
from core.i18n import _


def _servers(settings: LdapSettings) -> list[Server]:
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ca_certs_file)
    return [Server(url, use_ssl=url.startswith("ldaps://"), tls=tls, get_info=NONE,
                   connect_timeout=settings.timeout) for url in settings.urls]


def _bind(settings: LdapSettings, servers: list[Server], user: str | None,
          password: str | None) -> Connection:
    """A connection to the first server that answers (StartTLS if asked), after a bind
    attempt; check ``.bound``. ``LDAPException`` when no server answers."""
    failure: LDAPException = LDAPException("no LDAP server configured")
    for server in servers:
        connection = Connection(server, user=user, password=password, read_only=True,
                                receive_timeout=settings.timeout, raise_exceptions=False)
        try:
            connection.open()
            if settings.start_tls and not connection.start_tls():
                raise LDAPException(f"StartTLS failed on {server.host}")
        except LDAPException as error:
            connection.unbind()
            failure = error
            continue
        connection.bind()
        return connection
    raise failure


def _value(entry: object, attribute: str) -> str:
    values = entry["attributes"].get(attribute) if isinstance(entry, dict) else None
    if isinstance(values, list):
        return str(values[0]) if values else ""
    return "" if values is None else str(values)


def _find_user(connection: Connection, settings: LdapSettings, username: str) -> dict | None:
    search = settings.user_filter.format(username=escape_filter_chars(username))
    attributes = [settings.username_attribute, settings.full_name_attribute,
                  settings.email_attribute]
    connection.search(settings.base_dn, search, SUBTREE, attributes=attributes, size_limit=2)
    entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
    return entries[0] if len(entries) == 1 else None


def find_groups(connection: Connection, settings: LdapSettings, dn: str) -> tuple[str, ...]:
    """The DNs of the groups ``dn`` belongs to, directly or through nested groups."""
    base = settings.group_base_dn or settings.base_dn
    seen: dict[str, str] = {}
    frontier = [dn]
    for _depth in range(max(1, settings.nested_depth)):
        found = []
        for member in frontier:
            search = settings.group_filter.format(dn=escape_filter_chars(member))
            connection.search(base, search, SUBTREE, attributes=["cn"])
            for entry in connection.response or []:
                if entry.get("type") != "searchResEntry":
                    continue
                key = normalise_dn(entry["dn"])
                if key not in seen and key != normalise_dn(dn):
                    seen[key] = entry["dn"]
                    found.append(entry["dn"])
        if not found:
            break
        frontier = found
    return tuple(sorted(seen.values(), key=str.lower))


def authenticate_ldap(settings: LdapSettings, username: str, password: str) -> LdapUser | None:
    """The directory's user when ``password`` is right, else None (empty passwords too)."""
    if not username or not password:
        return None
    servers = _servers(settings)
    try:
        service = _bind(settings, servers, settings.bind_dn or None, settings.bind_password or None)
    except LDAPException as error:
        raise LdapUnavailable(_("The directory server cannot be reached.")) from error
    try:
        if not service.bound:
            raise LdapUnavailable(_("The directory server refused the service account."))
        entry = _find_user(service, settings, username)
        if entry is None:
            return None
        dn = str(entry["dn"])
        try:
            user = _bind(settings, servers, dn, password)
        except LDAPException as error:
            raise LdapUnavailable(_("The directory server cannot be reached.")) from error
        try:
            if not user.bound:
                return None
        finally:
            user.unbind()
        groups = find_groups(service, settings, dn)
    finally:
        service.unbind()
    return LdapUser(
        username=_value(entry, settings.username_attribute) or username, dn=dn,
        full_name=_value(entry, settings.full_name_attribute),
        email=_value(entry, settings.email_attribute), groups=groups,
        roles=settings.roles_for(groups), managed_roles=settings.managed_roles)


__all__ = ["LdapSettings", "LdapUser", "authenticate_ldap", "find_groups", "sync_ldap_user"]
