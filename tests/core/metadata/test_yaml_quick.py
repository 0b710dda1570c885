"""The quick parse of fixture files: the same data, lines and errors as the round-trip one."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from core.metadata.loader import BUILTIN_PACKS, folder_files
from core.metadata.yaml_quick import parse_yaml_quickly
from core.metadata.yaml_source import SourceDocument, YamlSyntaxError, parse_yaml


def both(text: str) -> tuple:
    text = textwrap.dedent(text).lstrip("\n")
    return parse_yaml_quickly(text, "f.yaml"), parse_yaml(text, "f.yaml")


def test_the_service_demo_parses_to_the_same_data_and_lines() -> None:
    files = folder_files(BUILTIN_PACKS / "service" / "fixtures")
    assert len(files) == 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        quick, slow = parse_yaml_quickly(text, path.name), parse_yaml(text, path.name)
        assert quick.data == slow.data and quick.lines == slow.lines, path.name


def test_keys_and_items_keep_their_lines_in_block_and_flow_style() -> None:
    quick, slow = both("""
        # a comment
        records:
          - entity: job
            values: {subject: "Leak", hours: 2.5, done: false, note: null}
          - entity: visit
            steps:
              - transition: plan
              - update:
                  lines: [{day: "$today", km: 12},
                          {day: "$today-1d"}]
        """)
    assert quick == slow
    assert quick.data["records"][0]["values"] == {"subject": "Leak", "hours": 2.5,
                                                  "done": False, "note": None}
    assert quick.line_of(["records", 1]) == 5
    assert quick.line_of(["records", 1, "steps", 1, "update", "lines", 1, "day"]) == 10
    assert quick.line_of(["records", 0, "values", "hours"]) == 4


@pytest.mark.parametrize("text", [
    "a: 1\nb: &x {c: 2}\nd: *x\n",                        # anchors and aliases
    "base: &b\n  c: 2\nmore:\n  <<: *b\n  e: 3\n",       # a merge key
    "when: 2026-01-02\nbytes: !!binary aGk=\n",           # tags the walk leaves alone
    "",                                                    # no document at all
    "a: 1\n---\nb: 2\n",                                  # two documents
    "%YAML 1.1\n---\non: yes\n",                          # a directive
    "? [a, b]\n: c\n",                                     # a key that is a list
])
def test_what_the_walk_leaves_alone_is_parsed_as_before(text: str) -> None:
    def outcome(parse: Callable[[str, str], SourceDocument]) -> object:
        try:
            return parse(text, "f.yaml")
        except Exception as exc:  # a merge key fails the round-trip walk: the same here
            return type(exc), str(exc)
    assert outcome(parse_yaml_quickly) == outcome(parse_yaml)


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("records:\n  - entity: job\n    entity: visit\n", 3, "duplicate key"),
    ("records:\n  - entity: [job\n  - entity: visit\n", 3, "YAML: "),
])
def test_bad_yaml_names_the_same_file_and_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(YamlSyntaxError) as quick:
        parse_yaml_quickly(text, "f.yaml")
    with pytest.raises(YamlSyntaxError) as slow:
        parse_yaml(text, "f.yaml")
    assert quick.value.diagnostic == slow.value.diagnostic
    assert quick.value.diagnostic.file == "f.yaml"
    assert quick.value.diagnostic.line == line and problem in quick.value.diagnostic.message
