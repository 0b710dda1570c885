"""Authentication: local passwords with throttling and reset tokens, sessions, API tokens,
and LDAP directories. Its tables are defined in ``core.storage.auth_tables``."""
