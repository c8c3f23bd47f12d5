"""asv: the per-iteration overhead of ``adaopt.minimize`` with a Python objective.

Target (DESIGN.md section 3): at most 2 µs per iteration on top of the
``fun``/``jac`` calls.  asv's ``time_`` benchmarks report totals, so the suite
times ``minimize`` over ``N`` iterations and the bare loop of the same
``N + 1`` ``fun``/``jac`` calls side by side, and ``track_overhead_us``
reports ``(t_minimize - t_calls) / N`` in µs from one same-run measurement
(best of several alternating repeats, so both see the same machine state).

Times are CPU time of this process (``time.process_time``), not wall time:
on a shared machine other processes then do not inflate the numbers.

Run it without asv too::

    python benchmarks/bench_minimize.py
"""

import time

import numpy as np

import adaopt
from adaopt.problems import IllConditionedQuadratic, Rosenbrock

#: Iterations per measurement.
N = 20000

class Constant:
    """The cheapest Python objective: f and g are constants (n = 2).  The
    calls cost ~0.1 µs, so the subtraction isolates minimize's own work."""

    def __init__(self):
        self.x0 = np.array([1.0, 2.0])
        self.g = np.array([1e-3, -2e-3])

    def fun(self, x):
        return 1.0

    def jac(self, x):
        return self.g


PROBLEMS = {
    "constant-2": Constant,
    "rosenbrock-2": lambda: Rosenbrock(2),
    "quadratic-100": lambda: IllConditionedQuadratic(n=100, cond=1e4),
}


def _run_minimize(p, n_iter):
    # a tiny lr and gtol=0: no early stop, exactly n_iter iterations and
    # n_iter + 1 evaluations
    return adaopt.minimize(p.fun, p.x0, jac=p.jac,
                           options=dict(lr=1e-7, maxiter=n_iter, gtol=0.0))


def _run_calls(p, n_iter):
    fun, jac, x = p.fun, p.jac, p.x0.copy()
    for _ in range(n_iter + 1):
        fun(x)
        jac(x)


def overhead_us(p, n_iter=N, repeats=15):
    """Per-iteration overhead of minimize over the bare fun/jac calls, in µs."""
    best_min = best_calls = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        _run_calls(p, n_iter)
        t1 = time.process_time()
        res = _run_minimize(p, n_iter)
        t2 = time.process_time()
        assert res.nit == n_iter
        best_calls = min(best_calls, t1 - t0)
        best_min = min(best_min, t2 - t1)
    return (best_min - best_calls) / n_iter * 1e6, best_calls / (n_iter + 1) * 1e6


class MinimizeOverhead:
    params = list(PROBLEMS)
    param_names = ["problem"]
    timeout = 300
    timer = time.process_time

    def setup(self, problem):
        self.p = PROBLEMS[problem]()
        _run_minimize(self.p, 10)     # compile (or load from the disk cache)

    def time_minimize(self, problem):
        _run_minimize(self.p, N)

    def time_fun_jac_calls(self, problem):
        _run_calls(self.p, N)

    def track_overhead_us(self, problem):
        return overhead_us(self.p)[0]

    track_overhead_us.unit = "us"


if __name__ == "__main__":
    for name, make in PROBLEMS.items():
        p = make()
        _run_minimize(p, 10)
        over, calls = overhead_us(p)
        print(f"{name:14s} fun+jac calls {calls:6.2f} us/iter, "
              f"minimize overhead {over:5.2f} us/iter (target <= 2)")
