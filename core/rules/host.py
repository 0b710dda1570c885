"""The only module that imports durable-rules: a host that matches facts against rulesets.

durable-rules keeps state in process memory and runs its own dispatch threads; Officina uses
it purely as a matcher. This host starts no threads, registers each ruleset once (with a deep
copy: the engine mutates definitions), posts one fact at a time under a lock (the engine fails
when several threads post at once) and reports which rules matched; actions run elsewhere.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from durable import engine


class _MatchingHost(engine.Host):
    """A durable-rules host whose actions only record the rule that matched."""

    def __init__(self) -> None:
        self.matched: list[str] = []
        super().__init__()

    def _run(self) -> None:  # no background dispatch threads: everything is synchronous
        return None

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        def record(_closure: Any) -> None:
            self.matched.append(action_name)

        return record


class RulesHost:
    """Matches facts against compiled rulesets; one per process."""

    def __init__(self) -> None:
        self._host = _MatchingHost()
        self._registered: set[str] = set()
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)

    def register(self, rulesets: Mapping[str, dict[str, Any]]) -> None:
        """Register rulesets not registered yet (names carry their version)."""
        with self._lock:
            missing = {name: copy.deepcopy(definition) for name, definition in rulesets.items()
                       if name not in self._registered}
            if missing:
                self._host.register_rulesets(missing)
                self._registered.update(missing)

    def match(self, ruleset_names: Iterable[str], fact: dict[str, Any]) -> list[str]:
        """Names of the rules whose conditions ``fact`` satisfies, in ruleset order."""
        matched: list[str] = []
        with self._lock:
            for name in ruleset_names:
                # One session per ruleset; each fact is retracted right after matching, so
                # the engine's state stays empty (it holds a bounded number of sessions).
                posted = {**fact, "sid": "officina", "id": f"f{next(self._sessions)}"}
                self._host.matched = []
                try:
                    self._host.assert_fact(name, posted)
                except engine.MessageNotHandledException:
                    continue  # no rule looked at it: nothing was stored
                with contextlib.suppress(engine.MessageNotHandledException):
                    self._host.retract_fact(name, posted)
                matched += self._host.matched
        # The engine splits an "or" into one rule per branch: a rule whose condition holds
        # several ways is reported once per way. Each rule fires once.
        return list(dict.fromkeys(matched))
