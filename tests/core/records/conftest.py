"""Fixtures of the records tests."""

from tests.core.records.authority_support import authority
from tests.core.records.permissions_support import dispatch

__all__ = ["authority", "dispatch"]
