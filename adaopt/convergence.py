r"""Does ``minimize`` finish?  Its defaults on the Moré-Garbow-Hillstrom set, beside scipy's.

``python -m adaopt bench --convergence`` runs every problem of
:mod:`adaopt.mgh` from its standard start with **default options only**:

* ``adaopt.minimize(fun, x0, jac=grad)`` (the default policy: the
  learning rate follows ``f``, :class:`adaopt.schedules.bold_driver`);
* the same with the optimizer object's (PyTorch's) defaults and a constant
  rate (column ``no policy``: the behaviour before the policy,
  ``lr_schedule=None`` and ``momentum=0``);
* ``adaopt.minimize(fun, x0)`` with its default finite differences
  (columns ``fd``), on the problems of dimension 4 or less;
* ``scipy.optimize.minimize`` with ``method='L-BFGS-B'`` and ``'BFGS'``,
  with and without the gradient, measured in the same run.

A minibatch gradient is the rule's hard case (a step along a noisy
gradient can raise ``f`` whatever the rate): :func:`minibatch_gaps` runs
:class:`adaopt.problems.LogisticRegression` (full ``f``, a fresh minibatch
gradient at each call) with default options and with no policy, and
:func:`minibatch_table` prints the final gaps :math:`f - f^*` per seed and
their medians.

A run *converged* when it reports success and
:math:`f - f^* \le 10^{-6} \max(1, |f^*|)`, with :math:`f^*` the problem's
``f_best``.  The table gives each run's evaluations where it converged
(``-`` where not), then the counts and the median evaluations of adaopt
against L-BFGS-B on the problems both solve.
"""

import sys
import warnings

import numpy as np

__all__ = ["converged", "convergence_runs", "convergence_table",
           "median_evaluation_ratio", "minibatch_gaps", "minibatch_table", "FD_MAX_DIM",
           "MINIBATCH_SEEDS"]

#: Finite differences are tried on the problems of at most this dimension.
FD_MAX_DIM = 4

#: The seeds of the minibatch runs of :func:`minibatch_table`.
MINIBATCH_SEEDS = range(10)


def converged(problem, result):
    """Whether ``result`` succeeded within ``1e-6 * max(1, |f*|)`` of ``f_best``."""
    f_star = problem.f_best
    return bool(result.success) and result.fun - f_star <= 1e-6 * max(1.0, abs(f_star))


def _no_policy():
    """The options of the ``no policy`` runs (the default method's object run)."""
    from ._problem import METHODS, no_policy_options
    return no_policy_options(METHODS["rmsprop"])


def _solvers():
    import scipy.optimize

    import adaopt

    def scipy_method(method):
        def run(p, gradient):
            return scipy.optimize.minimize(p.fun, p.x0, jac=p.jac if gradient else None,
                                           method=method)
        return run

    def ours(options):
        def run(p, gradient):
            return adaopt.minimize(p.fun, p.x0, jac=p.jac if gradient else None,
                                   options=options)
        return run
    return {"adaopt": ours(None), "no policy": ours(_no_policy()),
            "L-BFGS-B": scipy_method("L-BFGS-B"), "BFGS": scipy_method("BFGS")}


def convergence_runs(problems=None, solvers=None):
    """``{(solver, gradient): {name: result}}`` for every problem of ``problems``.

    ``problems`` defaults to :data:`adaopt.mgh.MGH_PROBLEMS`, ``solvers``
    (names) to all of ``adaopt``, ``no policy``, ``L-BFGS-B`` and ``BFGS``;
    ``gradient`` False (finite differences) only for problems of dimension at
    most :data:`FD_MAX_DIM`.
    """
    from .mgh import MGH_PROBLEMS
    problems = MGH_PROBLEMS if problems is None else problems
    available = _solvers()
    solvers = list(available) if solvers is None else solvers
    runs = {}
    with warnings.catch_warnings():
        # scipy's and adaopt's warnings about the runs that fail are the table's business
        warnings.simplefilter("ignore")
        for solver in solvers:
            run = available[solver]
            for gradient in (True, False):
                runs[solver, gradient] = {
                    name: run(p, gradient) for name, p in problems.items()
                    if gradient or p.n <= FD_MAX_DIM}
    return runs


def convergence_table(problems=None, out=sys.stdout):
    """Print the table of the module docstring; return ``{(solver, gradient): count}``."""
    from .mgh import MGH_PROBLEMS
    problems = MGH_PROBLEMS if problems is None else problems
    runs = convergence_runs(problems)
    columns = list(runs)
    heads = [f"{solver}{'' if gradient else ' fd'}" for solver, gradient in columns]
    width = max(len(h) for h in heads) + 1
    print(f"{'problem':<22} {'n':>2} " + "".join(f"{h:>{width}}" for h in heads), file=out)
    for name, p in problems.items():
        cells = []
        for key in columns:
            res = runs[key].get(name)
            cells.append("" if res is None else
                         str(res.nfev) if converged(p, res) else "-")
        print(f"{name:<22} {p.n:>2} " + "".join(f"{c:>{width}}" for c in cells), file=out)
    counts = {key: sum(converged(problems[name], r) for name, r in runs[key].items())
              for key in columns}
    totals = {key: len(runs[key]) for key in columns}
    print("converged: " + ", ".join(f"{h} {counts[k]}/{totals[k]}"
                                    for h, k in zip(heads, columns)), file=out)
    for gradient in (True, False):
        ratio, both = median_evaluation_ratio(problems, runs, gradient)
        if both:
            print(f"median evaluations, adaopt / L-BFGS-B{'' if gradient else ' (fd)'} "
                  f"on the {both} both solve: {ratio:.3g}x", file=out)
    return counts


def median_evaluation_ratio(problems, runs, gradient=True):
    """``(ratio, count)``: adaopt's median ``nfev`` over L-BFGS-B's on the
    ``count`` problems both converge on (NaN, 0 for none)."""
    ours, ref = runs["adaopt", gradient], runs["L-BFGS-B", gradient]
    both = [n for n in ours if converged(problems[n], ours[n])
            and converged(problems[n], ref[n])]
    if not both:
        return float("nan"), 0
    return (float(np.median([ours[n].nfev for n in both])
                  / np.median([ref[n].nfev for n in both])), len(both))


def minibatch_gaps(seeds=MINIBATCH_SEEDS):
    """``{'adaopt': gaps, 'no policy': gaps}``: :math:`f - f^*` at the end of
    ``minimize`` on :class:`adaopt.problems.LogisticRegression` (1000 rows, 5
    features, batches of 32; seed ``s`` for each ``s`` of ``seeds``), with
    default options and with :func:`_no_policy`'s (``minimize``'s default
    ``maxiter`` each)."""
    import adaopt
    from .problems import LogisticRegression
    gaps = {}
    for label, options in (("adaopt", None), ("no policy", _no_policy())):
        gaps[label] = []
        for seed in seeds:
            p = LogisticRegression(seed=seed)
            res = adaopt.minimize(p.fun, p.x0, jac=p.jac, options=options)
            gaps[label].append(res.fun - p.f_min)
    return gaps


def minibatch_table(seeds=MINIBATCH_SEEDS, out=sys.stdout):
    """Print :func:`minibatch_gaps` per seed and the medians; return the medians."""
    gaps = minibatch_gaps(seeds)
    from ._problem import METHODS, option_defaults
    steps = option_defaults(METHODS["rmsprop"])["maxiter"]
    print(f"minibatch logistic regression, f - f* after {steps} steps (seeds "
          f"{', '.join(map(str, seeds))}):", file=out)
    medians = {}
    for label, values in gaps.items():
        medians[label] = float(np.median(values))
        print(f"  {label:<10} " + " ".join(f"{v:.1e}" for v in values)
              + f"   median {medians[label]:.2g}", file=out)
    return medians
