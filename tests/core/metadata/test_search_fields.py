"""``search_fields``: plain names and ``link.field``, checked when the packs load."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.metadata.registry import load_registry
from tests.core.metadata.test_validation import single_error
from tests.support.packs import write_pack

CUSTOMER = """
name: customer
label: Customer
fields:
  company: {type: string, length: 40}
  size: {type: integer}
"""
CALL = """
name: call
label: Call
fields:
  subject: {type: string}
  customer: {type: link, target: customer}
  count: {type: integer}
search_fields: [%s]
"""


def pack(root: Path, search: str) -> None:
    write_pack(root, "p", {"entities/customer.yaml": CUSTOMER,
                           "entities/call.yaml": CALL % search})


def test_linked_search_fields_load(tmp_path: Path) -> None:
    pack(tmp_path, "subject, customer.company")
    call = load_registry(["p"], [tmp_path]).entity("call")
    assert call.search_fields == ("subject", "customer.company")


@pytest.mark.parametrize("search, message", [
    ("count.company", "search_fields[0]: 'count' is not a link field of entity 'call'"),
    ("subject.company", "search_fields[0]: 'subject' is not a link field of entity 'call'"),
    ("customer.nme", "search_fields[0]: unknown field 'nme' of entity 'customer' "
                     "(the target of 'customer')"),
    ("customer.size", "search_fields[0]: field 'customer.size' is an integer field: "
                      "expected one of"),
    ("customer", "search_fields[0]: field 'customer' is a link field: expected one of"),
])
def test_wrong_search_fields_name_file_and_line(tmp_path: Path, search: str,
                                                message: str) -> None:
    pack(tmp_path, search)
    error = single_error(tmp_path)
    assert message in error
    assert "call.yaml:7: " in error
