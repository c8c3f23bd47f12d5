"""Timing on a shared, noisy machine: interleaved rounds, minimum per call.

What every table of ``python -m adaopt bench`` is measured with
(:mod:`adaopt.bench`, :mod:`adaopt.method_bench`): each contender is
sampled in rounds that alternate between all of them, so that load from
other processes hits every contender alike, and the fastest sample counts.
"""

import math
import time

import numpy as np

__all__ = ["measure", "UNSTABLE_SPREAD", "UNSTABLE_NOTE", "is_unstable", "stability_mark",
           "fmt_time"]


def measure(fns, seconds=1.0, min_rounds=5, spread=None):
    """Minimum time per call of each callable, sampled in interleaved rounds.

    In each round every callable runs for about 0.2 ms.  A call of 20 µs or
    more is timed on its own and the fastest call counts; shorter calls are
    timed in a batch (the clock costs tens of nanoseconds) and the fastest
    batch counts.  Short samples matter on a busy machine: the minimum needs
    one sample that no other process interrupted, and a parallel region is
    delayed whenever one of its threads waits for a core -- or has gone to
    sleep since the previous round (its first call in a round wakes it).
    Rounds repeat until ``seconds`` have passed (at least ``min_rounds``).
    Returns ``{name: seconds per call}``.

    With a dict ``spread``, it also receives ``{name: (median - best) /
    best}`` over the rounds' own minima: how far a typical round was from
    the best one.  On a quiet machine that is a few percent; a large spread
    means other work interfered and the minimum (and every ratio built on
    it) may be a lucky or an unlucky draw (see :data:`UNSTABLE_SPREAD`).
    """
    inner = {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        fn()
        once = time.perf_counter() - t0
        inner[name] = max(1, min(10_000, int(2e-4 / max(once, 1e-8))))
        if once >= 2e-5:
            inner[name] = -max(2, inner[name])  # negative: time calls one by one
    per_round = {name: [] for name in fns}
    deadline = time.perf_counter() + seconds
    rounds = 0
    clock = time.perf_counter
    while rounds < min_rounds or clock() < deadline:
        for name, fn in fns.items():
            k = inner[name]
            fastest = math.inf
            if k < 0:
                for _ in range(-k):
                    t0 = clock()
                    fn()
                    fastest = min(fastest, clock() - t0)
            else:
                t0 = clock()
                for _ in range(k):
                    fn()
                fastest = (clock() - t0) / k
            per_round[name].append(fastest)
        rounds += 1
    best = {name: min(times) for name, times in per_round.items()}
    if spread is not None:
        spread.update({name: float(np.median(times)) / best[name] - 1.0
                       for name, times in per_round.items()})
    return best


#: A row whose ``spread`` (see :func:`measure`) exceeds this is marked
#: unstable: a typical round was more than 20% slower than the best one, so
#: other work on the machine interfered and the row's ratios are unreliable.
UNSTABLE_SPREAD = 0.20
#: The note printed under a table with unstable rows.
UNSTABLE_NOTE = ("! unstable: a typical sampling round of this row was more than "
                 f"{UNSTABLE_SPREAD:.0%} slower than its best one; other work on the "
                 "machine interfered, so its times and ratios are unreliable: "
                 "rerun on a quiet machine or with a longer --seconds")


def is_unstable(row):
    """Whether a row of a benchmark table (its ``spread``) has timings too spread to trust."""
    return row.get("spread", 0.0) > UNSTABLE_SPREAD


def stability_mark(spread):
    """`` !`` after a printed line whose timings spread too much, else ``''``."""
    worst = max(spread.values())
    return f"  ! unstable (spread {worst:.0%})" if worst > UNSTABLE_SPREAD else ""


def fmt_time(t):
    """``t`` seconds as ``'   12.34us'`` or ``'   12.34ms'``."""
    return f"{t * 1e6:8.2f}us" if t < 1e-2 else f"{t * 1e3:8.2f}ms"
