"""The durable-rules host adapter: every matching rule reported, state never piling up."""

from __future__ import annotations

import threading

from core.rules.host import RulesHost


def ruleset(name: str, count: int) -> dict:
    return {name: {f"r{i}": {"all": [{"m": {"$and": [{"t__kind": "x"}, {"$gte": {"n": i}}]}}],
                            "run": f"r{i}"} for i in range(count)}}


def test_every_matching_rule_is_reported_not_only_the_first() -> None:
    host = RulesHost()
    host.register(ruleset("host_all", 5))
    assert sorted(host.match(["host_all"], {"t__kind": "x", "n": 2})) == ["r0", "r1", "r2"]
    assert host.match(["host_all"], {"t__kind": "y", "n": 2}) == []


def test_thousands_of_facts_leave_no_state_behind() -> None:
    host = RulesHost()
    host.register(ruleset("host_many", 3))
    for i in range(5000):  # the engine holds about a thousand sessions at most
        kind = ("x", "y")[i % 2]
        expected = ["r0"] if kind == "x" else []
        assert host.match(["host_many"], {"t__kind": kind, "n": 0}) == expected


def test_registering_twice_and_posting_from_threads_is_safe() -> None:
    host = RulesHost()
    host.register(ruleset("host_threads", 2))
    host.register(ruleset("host_threads", 2))  # already there: ignored
    results: list[list[str]] = []

    def post() -> None:
        for _ in range(200):
            results.append(sorted(host.match(["host_threads"], {"t__kind": "x", "n": 5})))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 800 and all(r == ["r0", "r1"] for r in results)


def test_definitions_passed_in_are_not_mutated() -> None:
    host = RulesHost()
    definitions = ruleset("host_copy", 1)
    host.register(definitions)
    assert definitions["host_copy"]["r0"]["run"] == "r0"


def test_a_rule_true_in_several_ways_is_reported_once() -> None:
    host = RulesHost()
    host.register({"host_or": {"either": {
        "all": [{"m": {"$or": [{"a": 1}, {"b": 1}, {"c": 1}]}}], "run": "either"}}})
    assert host.match(["host_or"], {"a": 1, "b": 1, "c": 1}) == ["either"]
