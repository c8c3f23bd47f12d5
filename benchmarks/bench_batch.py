"""One small least-squares fit per row of data: ``multistart(batch_args=...)``
against Python loops of ``adaopt.minimize`` and of scipy's L-BFGS-B.

The model :math:`a e^{-b t}` is fitted to each row of a ``N_ROWS x 8`` data
matrix (``adaopt.jitted_problems.exp_decay_fg``, jitted, ``jac=True``: every
contender calls the same compiled objective).  All stop on the same kind
of test, the largest gradient component at most ``gtol`` (L-BFGS-B's
``pgtol``; its ``ftol`` set to 0 so that this test decides), with the
tolerances chosen for equal accuracy: L-BFGS-B's last quasi-Newton steps
land closer to the optimum than momentum's at the same ``gtol``, so adaopt
stops at a tenth of L-BFGS-B's (about 15 % more iterations).  The report
checks the accuracy each reached on the same rows: the largest and the
median distance (max norm) of a fit from the row's exact least-squares
optimum (scipy ``least_squares``, Levenberg-Marquardt at machine
precision), and the largest final gradient component.

The compiled multistart runs all ``N_ROWS`` fits; the Python loops, three
orders of magnitude slower, a subset of ``N_LOOP`` rows, timed as fits per
second.  Everything is warmed up (compiled or loaded from the disk cache)
before timing, and every timing is the best of ``REPEATS``.  Run it as::

    python benchmarks/bench_batch.py

(docs/guide/scaling.rst quotes the output).  The asv class ``BatchFits``
times the same contenders on smaller sizes.
"""

import os
import time

# scipy's L-BFGS-B calls BLAS on vectors of two: OpenBLAS's threads only add
# contention (on a loaded 2-core machine its loop ran 10-100x slower, and
# erratically, after a parallel region of Numba's).  One BLAS thread is
# scipy's best case; set before NumPy loads OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numba  # noqa: E402  (after the BLAS setting)
import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402

import adaopt  # noqa: E402
from adaopt.jitted_problems import exp_decay_fg  # noqa: E402

N_ROWS = 100_000
N_LOOP = 500
REPEATS = 2
GTOL = 1e-9
GTOL_LBFGSB = 1e-8
T = np.linspace(0.0, 2.0, 8)
X0 = np.array([1.0, 1.0])
#: Nesterov momentum, stable on the stiffest rows (a = 3, b = 0.5): every
#: row converges, in about 260 iterations
METHOD = "sgd"
# a constant rate (the configuration measured in docs/guide/scaling.rst)
OPTIONS = dict(lr=0.02, momentum=0.9, nesterov=True, gtol=GTOL, maxiter=10_000,
               lr_schedule=None)
#: L-BFGS-B stops on the gradient test alone (ftol=0)
LBFGSB = dict(gtol=GTOL_LBFGSB, ftol=0.0, maxiter=10_000)


def data(n, seed=0):
    """``n`` rows of :math:`a e^{-b t}` at ``T``, a in [1, 3], b in [0.5, 2],
    plus noise of standard deviation 0.01."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(1.0, 3.0, (n, 1))
    b = rng.uniform(0.5, 2.0, (n, 1))
    return a * np.exp(-b * T) + 0.01 * rng.standard_normal((n, T.size))


def fit_multistart(Y):
    """Every row at once: the compiled driver, in parallel over Numba's threads."""
    return adaopt.multistart(exp_decay_fg, np.tile(X0, (len(Y), 1)), args=(T,),
                             jac=True, method=METHOD, options=OPTIONS, batch_args=(Y,))


def fit_minimize_loop(Y):
    """A Python loop of ``adaopt.minimize`` (its compiled driver, one fit a call)."""
    return [adaopt.minimize(exp_decay_fg, X0, args=(T, y), jac=True, method=METHOD,
                            options=OPTIONS) for y in Y]


def fit_scipy_loop(Y):
    """A Python loop of ``scipy.optimize.minimize(method='L-BFGS-B')``."""
    return [scipy.optimize.minimize(exp_decay_fg, X0, args=(T, y), jac=True,
                                    method="L-BFGS-B", options=LBFGSB) for y in Y]


def exact(Y):
    """Each row's least-squares optimum, Levenberg-Marquardt at machine precision."""
    def residuals(x, y):
        return x[0] * np.exp(-x[1] * T) - y

    def jacobian(x, y):
        e = np.exp(-x[1] * T)
        return np.column_stack([e, -x[0] * T * e])

    tight = dict(method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return np.array([scipy.optimize.least_squares(residuals, X0, jacobian, args=(y,),
                                                  **tight).x for y in Y])


def best_of(repeats, run, *args):
    """The result of ``run(*args)`` and the shortest wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = run(*args)
        times.append(time.perf_counter() - start)
    return out, min(times)


class BatchFits:
    """asv: the three contenders on 10,000 rows (multistart) and 100 (loops)."""

    timeout = 300

    def setup(self):
        self.Y = data(10_000)
        for run in (fit_multistart, fit_minimize_loop, fit_scipy_loop):
            run(self.Y[:2])                 # compile, or load from the disk cache

    def time_multistart(self):
        fit_multistart(self.Y)

    def time_minimize_loop(self):
        fit_minimize_loop(self.Y[:100])

    def time_scipy_loop(self):
        fit_scipy_loop(self.Y[:100])


def main():
    Y = data(N_ROWS)
    sub = Y[:N_LOOP]
    for run in (fit_multistart, fit_minimize_loop, fit_scipy_loop):
        run(Y[:2])                          # compile, or load from the disk cache
    x_star = exact(sub)
    threads = numba.get_num_threads()
    rows = []
    for label, nthreads in ((f"multistart, batch_args, {threads} threads", threads),
                            ("multistart, batch_args, 1 thread", 1)):
        numba.set_num_threads(nthreads)
        res, t = best_of(REPEATS, fit_multistart, Y)
        numba.set_num_threads(threads)
        rows.append((label, N_ROWS, t, res.xs[:N_LOOP], res.statuses,
                     np.abs([r.jac for r in res.results]).max(),
                     np.median([r.nit for r in res.results])))
    for label, run in (("loop of adaopt.minimize", fit_minimize_loop),
                       ("loop of scipy L-BFGS-B", fit_scipy_loop)):
        out, t = best_of(REPEATS, run, sub)
        rows.append((label, N_LOOP, t, np.array([r.x for r in out]),
                     np.array([0 if r.success else r.status for r in out]),
                     np.abs([r.jac for r in out]).max(), np.median([r.nit for r in out])))
    print(f"{N_ROWS} rows x {T.size} points, model a*exp(-b*t); gtol {GTOL:g} (adaopt), "
          f"{GTOL_LBFGSB:g} (L-BFGS-B); |x-x*| over rows 0-{N_LOOP - 1} "
          f"(NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset')}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'':36s} {'fits':>7s} {'fits/s':>8s} {'vs scipy':>8s} {'converged':>9s} "
          f"{'med. nit':>8s} {'max |x-x*|':>10s} {'median':>8s} {'max |g|':>8s}")
    scipy_rate = rows[-1][1] / rows[-1][2]
    for label, n, t, xs, statuses, gmax, nit in rows:
        err = np.abs(xs - x_star).max(axis=1)
        rate = n / t
        print(f"{label:36s} {n:7d} {rate:8.0f} {rate / scipy_rate:7.1f}x "
              f"{np.mean(statuses == 0):9.1%} {nit:8.0f} {err.max():10.1e} "
              f"{np.median(err):8.1e} {gmax:8.1e}")


if __name__ == "__main__":
    main()
