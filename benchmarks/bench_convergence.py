"""asv: convergence quality on the package's test problems (``track_``).

Speed is worth nothing if the answer gets worse.  These benchmarks record,
per commit, the final objective gap ``f(x) - f_min`` and the iterations
``minimize`` needs to reach its gradient tolerance on the problems of
:mod:`adaopt.problems`, with fixed settings, so a change of the update's
arithmetic or of a stopping test shows up in ``asv compare`` as a change of
these numbers.  Every run is deterministic (the minibatches of the logistic
regression come from a seeded generator).
"""

import functools

import numpy as np

import adaopt
from adaopt import convergence, schedules
from adaopt.mgh import MGH_PROBLEMS
from adaopt.problems import IllConditionedQuadratic, LogisticRegression, Rosenbrock


def _rosenbrock():
    p = Rosenbrock(2)
    return p, adaopt.minimize(p.fun, p.x0, jac=p.jac, options=dict(
        lr_schedule=schedules.exponential_decay(2e-2, 0.999), maxiter=20000, gtol=1e-3))


def _quadratic():
    p = IllConditionedQuadratic(n=10, cond=1e4)
    return p, adaopt.minimize(p.fun, p.x0, jac=p.jac,
                              options=dict(lr=1e-2, maxiter=20000, gtol=1e-4))


def _logistic():
    p = LogisticRegression(n_samples=1000, n_features=5, batch_size=32, seed=0)
    return p, adaopt.minimize(p.fun, p.x0, jac=p.jac,
                              options=dict(lr=1e-2, maxiter=2000, gtol=0.0))


def track_rosenbrock_iterations_to_gtol():
    """Iterations to ||g||_inf <= 1e-3 from (-1.2, 1), lr 2e-2 * 0.999**t."""
    return _rosenbrock()[1].nit


def track_rosenbrock_final_gap():
    """f(x) - f_min where the run above stops."""
    p, res = _rosenbrock()
    return res.fun - p.f_min


def track_quadratic_iterations_to_gtol():
    """Iterations to ||g||_inf <= 1e-4 on a 10-D quadratic of condition 1e4, lr 1e-2."""
    return _quadratic()[1].nit


def track_quadratic_final_gap():
    p, res = _quadratic()
    return res.fun - p.f_min


def track_logistic_final_gap():
    """f(x) - f_min after 2000 minibatch steps (batch 32 of 1000), lr 1e-2."""
    p, res = _logistic()
    return res.fun - p.f_min


for _f in (track_rosenbrock_iterations_to_gtol, track_quadratic_iterations_to_gtol):
    _f.unit = "iterations"
for _f in (track_rosenbrock_final_gap, track_quadratic_final_gap, track_logistic_final_gap):
    _f.unit = "f - f_min"


# -- minimize's defaults on the Moré-Garbow-Hillstrom set (adaopt.convergence) --

def _mgh_runs():
    return convergence.convergence_runs(solvers=["adaopt", "L-BFGS-B"])


def _count(runs, gradient):
    return sum(convergence.converged(MGH_PROBLEMS[name], res)
               for name, res in runs["adaopt", gradient].items())


def track_mgh_converged_with_gradient():
    """Problems of the 25 where default options converge (jac given)."""
    return _count(_mgh_runs(), True)


def track_mgh_converged_finite_differences():
    """Problems of the 15 with n <= 4 where default options converge (no jac)."""
    return _count(_mgh_runs(), False)


def track_mgh_median_evaluations_over_lbfgsb():
    """Median nfev of the defaults over L-BFGS-B's, on the problems both solve."""
    return convergence.median_evaluation_ratio(MGH_PROBLEMS, _mgh_runs())[0]


track_mgh_converged_with_gradient.unit = "problems"
track_mgh_converged_finite_differences.unit = "problems"
track_mgh_median_evaluations_over_lbfgsb.unit = "ratio"


@functools.lru_cache(maxsize=None)
def _minibatch_gaps():
    # one set of 20 runs for both tracks below (when asv runs them in one process)
    return convergence.minibatch_gaps()


def _minibatch_median(label):
    return float(np.median(_minibatch_gaps()[label]))


def track_minibatch_median_gap_default():
    """Median f - f* of 10 seeds of the minibatch logistic regression, default options."""
    return _minibatch_median("adaopt")


def track_minibatch_median_gap_no_policy():
    """The same with no policy (momentum 0, a constant rate): the reference."""
    return _minibatch_median("no policy")


track_minibatch_median_gap_default.unit = "f - f_min"
track_minibatch_median_gap_no_policy.unit = "f - f_min"
