"""Authentication: local passwords with throttling and reset tokens, and LDAP directories.

Kept free of imports so ``core.storage.system_tables`` can import ``core.auth.tables``.
"""
