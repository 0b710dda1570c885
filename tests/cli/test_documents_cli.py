"""``officina documents``: render for scripts, list, upload, versions and restore templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import new_instance, officina
from tests.ui.test_documents import docx_text, pdf_text, word_docx


@pytest.fixture
def shop(tmp_path: Path, packs_dir: Path) -> tuple[dict[str, str], dict]:
    env = new_instance(tmp_path, packs_dir, "docshop")
    customer = json.loads(officina("records", "create", "customer",
                                   '{"name": "Officine Rossi", "city": "Torino"}',
                                   env=env).stdout)
    machine = json.loads(officina("records", "create", "machine", json.dumps(
        {"model": "Caldaia X200", "customer": customer["id"]}), env=env).stdout)
    job = json.loads(officina("records", "create", "job", json.dumps(
        {"subject": "Leaking valve", "machine": machine["id"], "day": "2026-11-23",
         "parts": [{"item": "Valve", "quantity": "2", "price": "12.50"}]}), env=env).stdout)
    return env, job


def test_render_writes_a_word_file_in_the_chosen_language(shop, tmp_path: Path) -> None:
    env, job = shop
    out = tmp_path / "report.docx"
    result = officina("documents", "render", "job", job["ref"], "job_report", "--lang", "it",
                      "--out", str(out), env=env)
    assert f"{job['ref']}-job_report.it.docx" in result.stderr
    text = docx_text(out.read_bytes())
    assert "Rapporto di intervento" in text and "Cliente: Officine Rossi" in text
    assert "Valve" in text


@pytest.mark.slow
def test_render_writes_a_pdf(shop, tmp_path: Path) -> None:
    env, job = shop
    out = tmp_path / "report.pdf"
    officina("documents", "render", "job", str(job["id"]), "job_report", "--format", "pdf",
             "--lang", "en", "--out", str(out), env=env)
    assert out.read_bytes().startswith(b"%PDF")
    assert "Officine Rossi" in pdf_text(out.read_bytes(), tmp_path)


def test_render_errors_are_one_clear_line(shop, tmp_path: Path) -> None:
    env, job = shop
    out = str(tmp_path / "x.docx")
    unknown = officina("documents", "render", "job", str(job["id"]), "nope", "--out", out,
                       env=env, check=False)
    assert unknown.returncode == 1 and 'no document template "nope"' in unknown.stderr
    missing = officina("documents", "render", "job", "999", "job_report", "--out", out,
                       env=env, check=False)
    assert missing.returncode == 1 and missing.stderr.strip()
    language = officina("documents", "render", "job", "1", "job_report", "--lang", "fr",
                        "--out", out, env=env, check=False)
    assert language.returncode == 2 and "fr" in language.stderr
    nowhere = officina("documents", "render", "job", str(job["id"]), "job_report", "--out",
                       str(tmp_path / "no" / "such" / "dir.docx"), env=env, check=False)
    assert nowhere.returncode == 1 and "Cannot write" in nowhere.stderr
    assert not Path(out).exists()


def test_templates_are_listed_uploaded_versioned_and_restored(shop, tmp_path: Path) -> None:
    env, job = shop
    listed = officina("documents", "list", env=env).stdout
    assert "job\tjob_report\tJob report\ten,it\tpack\tversion 0" in listed
    assert "No document templates for customer." in officina("documents", "list", "customer",
                                                             env=env).stdout

    bad = tmp_path / "bad.docx"
    bad.write_bytes(word_docx("{{ record.no_such_field }}"))
    refused = officina("documents", "upload", "job", "job_report", "en", str(bad), env=env,
                       check=False)
    assert refused.returncode == 1
    assert "no_such_field" in refused.stderr and "Traceback" not in refused.stderr

    good = tmp_path / "good.docx"
    good.write_bytes(word_docx("Custom {{ record.ref }}"))
    assert "version 1" in officina("documents", "upload", "job", "job_report", "en",
                                   str(good), env=env).stdout
    good.write_bytes(word_docx("Newer {{ record.ref }}"))
    assert "version 2" in officina("documents", "upload", "job", "job_report", "en",
                                   str(good), env=env).stdout
    as_json = json.loads(officina("documents", "list", "job", "--json", env=env).stdout)
    assert as_json == [{"entity": "job", "name": "job_report", "label": "Job report",
                        "languages": ["en", "it"], "source": "instance", "version": 2}]
    versions = officina("documents", "versions", "job", "job_report", "en",
                        env=env).stdout.splitlines()
    assert [line.split("\t")[0] for line in versions] == ["2", "1"]
    assert versions[0].endswith("active") and "system" in versions[0]

    restored = officina("documents", "restore", "job", "job_report", "en", "1", env=env)
    assert "version 1 restored (now version 3)" in restored.stdout
    out = tmp_path / "r.docx"
    officina("documents", "render", "job", str(job["id"]), "job_report", "--lang", "en",
             "--out", str(out), env=env)
    assert f"Custom {job['ref']}" in docx_text(out.read_bytes())

    denied = officina("documents", "upload", "job", "job_report", "en", str(good), "--as",
                      "admin", env=env)
    assert "version 4" in denied.stdout  # the first administrator may


def test_help_lists_the_documents_commands() -> None:
    out = officina("documents", "--help").stdout
    for command in ("render", "list", "upload", "versions", "restore"):
        assert f"  {command}" in out


@pytest.mark.slow
def test_batch_queues_jobs_that_the_worker_renders(tmp_path: Path, packs_dir: Path) -> None:
    job_yaml = packs_dir / "docshop" / "entities" / "job.yaml"
    job_yaml.write_text(job_yaml.read_text().replace(
        "  signer_name:", "  report_pdf: {type: attachment}\n  signer_name:", 1))
    env = new_instance(tmp_path, packs_dir, "docshop")
    customer = json.loads(officina("records", "create", "customer",
                                   '{"name": "Officine Rossi", "city": "Torino"}',
                                   env=env).stdout)
    machine = json.loads(officina("records", "create", "machine", json.dumps(
        {"model": "Caldaia X200", "customer": customer["id"]}), env=env).stdout)
    made = [json.loads(officina("records", "create", "job", json.dumps(
        {"subject": subject, "status": "done", "machine": machine["id"]}), env=env).stdout)
        for subject in ("Leaking valve", "Noisy pump")]
    result = officina("documents", "batch", "job", "job_report", "--filter",
                      '[["status", "=", "done"]]', "--lang", "en", "--attach-to", "report_pdf",
                      env=env)
    assert "Queued 2 documents" in result.stdout
    worker = officina("worker", "--once", env=env)
    assert "delivered: 2, failed: 0" in worker.stdout, worker.stderr
    for job in made:
        record = json.loads(officina("records", "get", "job", str(job["id"]), env=env).stdout)
        assert record["report_pdf"].endswith(f"{job['ref']}-job_report.en.pdf")
    wrong = officina("documents", "batch", "job", "job_report", "--attach-to", "subject",
                     env=env, check=False)
    assert wrong.returncode == 1 and 'attachment field "subject"' in wrong.stderr
