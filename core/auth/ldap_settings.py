"""LDAP settings and the user an LDAP login yields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from ldap3.core.exceptions import LDAPException
from ldap3.utils.dn import parse_dn, safe_dn

DEFAULT_USER_FILTER = "(&(objectClass=inetOrgPerson)(uid={username}))"
DEFAULT_GROUP_FILTER = "(&(objectClass=groupOfNames)(member={dn}))"


def normalise_dn(dn: str) -> str:
    """A DN in a canonical form for comparisons (case and spacing do not matter)."""
    try:
        return str(safe_dn(dn)).lower()
    except LDAPException:
        return dn.strip().lower()


def first_cn(dn: str) -> str | None:
    """The value of the leading ``cn=`` of ``dn``, lower-cased, if it has one."""
    try:
        attribute, value, _separator = parse_dn(dn)[0]
    except (LDAPException, IndexError):
        return None
    return value.lower() if attribute.lower() == "cn" else None


@dataclass(frozen=True)
class LdapSettings:
    """How to reach the directory, find users and groups, and map groups to roles.

    ``role_map`` keys are group DNs or group CNs (case-insensitive); its values are the
    roles LDAP manages. ``bind_dn`` empty means the service searches anonymously.
    """

    urls: tuple[str, ...]
    base_dn: str
    bind_dn: str = ""
    bind_password: str = field(default="", repr=False)
    start_tls: bool = False
    ca_certs_file: str | None = None
    user_filter: str = DEFAULT_USER_FILTER
    username_attribute: str = "uid"
    full_name_attribute: str = "cn"
    email_attribute: str = "mail"
    group_base_dn: str = ""
    group_filter: str = DEFAULT_GROUP_FILTER
    nested_depth: int = 5
    role_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout: float = 10.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LdapSettings:
        """Settings from configuration; ``url`` (one) or ``urls`` (a list) is required."""
        values = dict(data)
        known = {f.name for f in fields(cls)} | {"url"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown LDAP settings: {', '.join(unknown)}")
        url = values.pop("url", None)
        urls = values.pop("urls", None) or ([url] if url else [])
        if isinstance(urls, str):
            urls = [urls]
        if not urls:
            raise ValueError("LDAP settings need a url")
        for item in urls:
            if not str(item).startswith(("ldap://", "ldaps://")):
                raise ValueError(f"LDAP url must start with ldap:// or ldaps://: {item}")
        if not values.get("base_dn"):
            raise ValueError("LDAP settings need a base_dn")
        if "{username}" not in values.get("user_filter", "{username}"):
            raise ValueError("LDAP user_filter must contain {username}")
        if "{dn}" not in values.get("group_filter", "{dn}"):
            raise ValueError("LDAP group_filter must contain {dn}")
        values["role_map"] = MappingProxyType(
            {str(k): str(v) for k, v in dict(values.get("role_map") or {}).items()})
        return cls(urls=tuple(str(u) for u in urls), **values)

    @property
    def managed_roles(self) -> frozenset[str]:
        """The roles LDAP grants and takes away; other local roles are left alone."""
        return frozenset(self.role_map.values())

    def roles_for(self, groups: tuple[str, ...]) -> frozenset[str]:
        """The roles mapped from group DNs (matched by DN or by CN)."""
        by_key = {normalise_dn(k) if "=" in k else k.lower(): v for k, v in self.role_map.items()}
        roles = set()
        for group in groups:
            for key in (normalise_dn(group), first_cn(group)):
                if key is not None and key in by_key:
                    roles.add(by_key[key])
        return frozenset(roles)


@dataclass(frozen=True)
class LdapUser:
    """A user the directory authenticated, with groups (nested included) and mapped roles."""

    username: str
    dn: str
    full_name: str
    email: str
    groups: tuple[str, ...]
    roles: frozenset[str]
    managed_roles: frozenset[str] = frozenset()
