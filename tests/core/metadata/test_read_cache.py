"""Packs are read again for every instance: a file read before is not parsed again, yet an
edited file is read afresh and a broken one keeps reporting its problems."""

from __future__ import annotations

from pathlib import Path

from core.metadata.loader import read_document

ENTITY = "name: note\nlabel: Note\nfields:\n  text: {type: string, length: 40}\n"


def test_an_edited_file_is_read_afresh(tmp_path: Path):
    path = tmp_path / "note.yaml"
    path.write_text(ENTITY)
    first = read_document(path, "entity", [])
    assert first is not None and list(first.data["fields"]) == ["text"]
    first.data["fields"]["added_by_caller"] = {}  # what a caller does to its copy...
    again = read_document(path, "entity", [])
    assert again is not None and list(again.data["fields"]) == ["text"]  # ...stays its own
    path.write_text(ENTITY.replace("length: 40", "length: 40}\n  title: {type: string"))
    edited = read_document(path, "entity", [])
    assert edited is not None and list(edited.data["fields"]) == ["text", "title"]


def test_a_broken_file_reports_its_problem_every_time(tmp_path: Path):
    path = tmp_path / "note.yaml"
    path.write_text(ENTITY.replace("length: 40", "length: forty"))
    for _ in range(2):
        problems: list = []
        assert read_document(path, "entity", problems) is None
        assert problems and {(p.line, p.path) for p in problems} == {(4, "fields.text.length")}


def test_a_copy_in_another_folder_is_not_parsed_again_and_keeps_its_own_name(
        tmp_path: Path, monkeypatch) -> None:
    from core.metadata import loader

    first, second = tmp_path / "a" / "note.yaml", tmp_path / "b" / "note.yaml"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(ENTITY.replace("length: 40", "length: forty"))
    problems: list = []
    assert read_document(first, "entity", problems) is None
    parsed = []
    monkeypatch.setattr(loader, "_parse_and_check",
                        lambda *args, **kwargs: parsed.append(args) or None)
    again: list = []
    assert read_document(second, "entity", again) is None
    assert parsed == []  # the copy came from the cache
    assert {(p.file, p.line, p.path) for p in again} == {
        (str(second), 4, "fields.text.length")}
    assert {p.file for p in problems} == {str(first)}
