"""Engine messages about the service pack's records read as Italian: the pack's labels
translated, and the words around them agreeing with each label's gender (``grammar``)."""

from __future__ import annotations

import dataclasses

import pytest

from core.i18n_metadata import MetadataTranslator
from core.metadata.registry import load_registry
from core.records.errors import NotFound, RecordError
from tests.packs.service.conftest import MANAGER, OFFICE, ServiceEnv
from tests.packs.service.test_translations import SERVICE


@pytest.fixture(scope="module")
def italian() -> tuple[MetadataTranslator, object]:
    registry = load_registry(["service"], [SERVICE.parent])
    return MetadataTranslator.for_registry(registry, "it"), registry


def test_messages_agree_with_the_gender_of_each_label(italian) -> None:
    labels, registry = italian
    call, intervention = registry.entity("service_call"), registry.entity("intervention")
    assert labels.entity_message("New {entity}", call, lower=True) == (
        "Nuova chiamata di assistenza")
    assert labels.entity_message("New {entity}", intervention, lower=True) == (
        "Nuovo intervento")
    assert labels.entity_message("{entity} {ref} saved.", call, ref="CALL-1") == (
        "Chiamata di assistenza CALL-1 salvata.")
    assert labels.entity_message("{entity} {ref} deleted.", registry.entity("quote"),
                                 ref="Q-1") == "Preventivo Q-1 eliminato."
    assert labels.entity_message(
        "The {entity} and its lines will be deleted. This cannot be undone.", intervention,
        lower=True) == ("Verranno eliminati l'intervento e le sue righe. L'operazione non "
                        "si può annullare.")
    assert labels.entity_message(
        "The {entity} and its lines will be deleted. This cannot be undone.",
        registry.entity("machine"), lower=True) == (
        "Verranno eliminate la macchina e le sue righe. L'operazione non si può annullare.")


def test_english_messages_stay_as_written(italian) -> None:
    _labels, registry = italian
    english = MetadataTranslator.for_registry(registry, "en")
    assert english.entity_message("New {entity}", registry.entity("service_call"),
                                  lower=True) == "New service call"


def test_a_missing_record_is_named_in_the_readers_language(service: ServiceEnv) -> None:
    with pytest.raises(NotFound) as missing:
        service.records.get(OFFICE, "maintenance_plan", "PLAN-0099")
    assert missing.value.message == 'Non esiste alcun piano di manutenzione "PLAN-0099".'
    with pytest.raises(NotFound) as machine:
        service.records.get(OFFICE, "machine", "MAC-9999")
    assert machine.value.message == 'Non esiste alcuna macchina "MAC-9999".'


def test_a_refused_transition_names_it_and_its_state_in_italian(service: ServiceEnv) -> None:
    d = service.data
    contract = service.records.create(MANAGER, "contract", {
        "subject": "Assistenza", "customer": d["customer"]["id"],
        "contract_type": "scheduled_maintenance", "start_date": "2026-10-01",
        "end_date": "2027-09-30"})
    manager_it = dataclasses.replace(MANAGER, language="it")
    with pytest.raises(RecordError) as refused:
        service.records.transition(manager_it, "contract", contract["id"], "expire")
    assert refused.value.message == '"Scadi" non può partire dallo stato "Bozza".'
