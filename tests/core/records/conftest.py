"""Fixtures of the records tests."""

from tests.core.records.permissions_support import dispatch

__all__ = ["dispatch"]
