"""Racing processes: several spawned processes released together by a barrier."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any


def run_racers(target: Callable[..., None], arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(*args, barrier, results, number)`` in one spawned process per entry of
    ``arguments``; each racer waits on ``barrier`` and puts ``(number, outcome)`` on
    ``results``. The outcomes, in the racers' order."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(arguments)), context.Queue()
    racers = [context.Process(target=target, args=(*args, barrier, results, number))
              for number, args in enumerate(arguments)]
    for racer in racers:
        racer.start()
    reported = dict(results.get(timeout=300) for _ in racers)
    for racer in racers:
        racer.join(30)
        assert racer.exitcode == 0
    return [reported[number] for number in range(len(racers))]
