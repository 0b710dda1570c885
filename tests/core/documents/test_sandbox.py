"""Templates cannot escape the sandbox, loop forever or render enormous documents."""

from __future__ import annotations

import pytest

from core.documents.render import Limits
from core.documents.service import DocumentError
from core.officina import Officina
from core.records.actor import SYSTEM
from tests.core.documents.conftest import ADMIN, TECHNICIAN
from tests.core.documents.docx_files import body_text, docx_with


def install(officina: Officina, *paragraphs: str, name: str = "probe") -> None:
    """Store a template without the upload checks, as if it had slipped past them."""
    from core.documents import store

    with officina.database.write() as connection:
        store.add_version(connection, "job", name, "en", docx_with(*paragraphs),
                          username="test", now=officina.records.clock(), label=None)


def render_text(officina: Officina, job: dict, *paragraphs: str, actor=ADMIN) -> str:
    install(officina, *paragraphs)
    rendered = officina.documents.render(actor, "job", job["id"], "probe", language="en")
    return body_text(rendered.data)


ESCAPES = [
    "{{ record.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__['os'] }}",
    "{{ config }}",
    "{{ self }}",
    "{{ os.system('true') }}",
    "{{ record.machine.__dict__ }}",
    "{{ record|attr('_reader') }}",
    "{{ image(record.signature).__html__.__globals__ }}",
    "{{ image.__globals__ }}",
    "{{ label.__self__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ request }}",
    "{{ ''.format }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '{0.__class__}'.format(record) }}",
    "{{ record.lines }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_are_refused_naming_the_template(officina: Officina, job: dict,
                                                 source: str) -> None:
    with pytest.raises(DocumentError) as caught:
        render_text(officina, job, "before", source)
    assert "probe.en" in caught.value.message
    assert "paragraph 2" in caught.value.message or "self" in caught.value.message


def test_plain_values_are_reachable(officina: Officina, job: dict) -> None:
    text = render_text(officina, job, "{{ record.subject.upper() }} {{ record.day.year }} "
                                      "{{ record.hours|length }} {{ record.hours[0].hours }} "
                                      "{{ record['signer_name'] }} {{ language }}")
    assert text == "HYDRAULIC LEAK 2026 2 2.50 Mario Bianchi en"


def test_an_endless_loop_is_refused(officina: Officina, job: dict) -> None:
    with pytest.raises(DocumentError, match="Range too big"):
        render_text(officina, job, "{% for i in range(10**9) %}x{% endfor %}")
    with pytest.raises(DocumentError, match="repeats more than"):
        render_text(officina, job, "{% for i in range(100000) %}{% for j in range(100000) %}"
                                   "{% endfor %}{% endfor %}")


def test_a_slow_template_is_stopped(officina: Officina, job: dict) -> None:
    officina.documents.limits = Limits(time_limit=0.2)
    with pytest.raises(DocumentError, match=r"longer than 0\.2 seconds"):
        render_text(officina, job, "{% for i in range(100000) %}{% for j in range(9) %}"
                                   "{{ record.subject.upper() }}{% endfor %}{% endfor %}")


@pytest.mark.parametrize("source", [
    "{% for i in range(1000) %}{{ 'x' * 1000000 }}{% endfor %}",
    "{% set ns = namespace(a='xy') %}{% for i in range(40) %}{% set ns.a = ns.a ~ ns.a %}"
    "{% endfor %}",
    "{% set a = ['x' * 1000] * 1000 %}{% set b = [a, a, a, a] %}{{ b }}",
    "{{ ('x' * 1000) | join('y' * 1000000) }}",
    "{{ '%099999999d' % 1 }}",
])
def test_enormous_output_is_refused(officina: Officina, job: dict, source: str) -> None:
    with pytest.raises(DocumentError, match="too large"):
        render_text(officina, job, source)


def test_hidden_fields_are_not_in_the_context(officina: Officina, job: dict) -> None:
    source = "[{{ record.internal_cost }}]"
    assert render_text(officina, job, source, actor=ADMIN) == "[€99.00]"
    assert render_text(officina, job, source, actor=TECHNICIAN) == "[]"


def test_links_are_read_as_the_actor(officina: Officina, job: dict) -> None:
    text = render_text(officina, job, "{{ record.machine }} / {{ record.machine.customer }}",
                       actor=TECHNICIAN)
    assert text == "Press X200 / Rossi & Figli"


def test_images(officina: Officina, job: dict) -> None:
    import io

    from docx import Document

    install(officina, "[{{ image(record.machine.photo, width_mm=30, height_mm=15) }}]")
    rendered = officina.documents.render(ADMIN, "job", job["id"], "probe", language="en")
    [shape] = Document(io.BytesIO(rendered.data)).inline_shapes
    assert round(shape.width.mm) == 30 and round(shape.height.mm) == 15
    with pytest.raises(DocumentError, match="image sizes"):
        render_text(officina, job, "{{ image(record.signature, width_mm=5000) }}")
    with pytest.raises(DocumentError, match="takes an image field"):
        render_text(officina, job, "{{ image(record.subject) }}")


def test_an_empty_image_field_places_nothing(officina: Officina, job: dict) -> None:
    officina.records.update(SYSTEM, "job", job["id"],
                            {"signature": None, "version": job["version"]})
    assert render_text(officina, job, "[{{ image(record.signature) }}]") == "[]"


def test_a_missing_image_file_fails_naming_the_field(officina: Officina, job: dict) -> None:
    files = officina.records.files
    key = officina.records.get(SYSTEM, "job", job["id"])["signature"]
    (files.root / key[:2] / key.split("/")[0]).unlink()
    with pytest.raises(DocumentError, match=r"image of .Signature. .signature\.png. is missing"):
        render_text(officina, job, "{{ image(record.signature) }}")
