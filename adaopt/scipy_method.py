"""``adaopt.rmsprop``: the solver as a custom method of :func:`scipy.optimize.minimize`.

scipy calls a callable ``method`` as ``method(fun, x0, args=..., jac=...,
hess=..., hessp=..., bounds=..., constraints=..., callback=..., **options)``
*before* it wraps the callback or sets up finite differences, so this
function gets the user's raw callback and ``jac=None`` for any
finite-difference string, and reports ``StopIteration`` itself.  It parses
its arguments with :func:`adaopt.minimize.parse_problem` and runs the same
drivers as :func:`adaopt.minimize`: the two front ends share one loop.
"""

import warnings

from .minimize import parse_problem, run

__all__ = ["rmsprop"]


def rmsprop(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None,
            constraints=(), callback=None, **options):
    """RMSprop for ``scipy.optimize.minimize(fun, x0, method=adaopt.rmsprop)``.

    Parameters
    ----------
    fun, x0, args, jac, bounds, callback
        As for :func:`adaopt.minimize`.  scipy hands over ``jac=None`` for
        ``'2-point'``/``'3-point'``/``'cs'`` (and ``None``), and a memoizing
        ``fun``/``jac`` pair for ``jac=True``; ``None`` means 2-point finite
        differences here.  ``callback`` is the user's own (either scipy
        style).
    hess, hessp
        Not used by a first-order method: a ``RuntimeWarning`` says so when
        given, as scipy's own methods do.
    constraints
        Not supported: a ``RuntimeWarning`` says they are ignored (scipy's
        behaviour for methods without constraints); only ``bounds`` are
        honoured.
    **options
        The ``options`` of :func:`adaopt.minimize`; scipy adds ``tol=`` when
        its ``tol`` argument is given, which sets ``gtol`` as in
        :func:`adaopt.minimize`.

    Returns
    -------
    scipy.optimize.OptimizeResult
        As :func:`adaopt.minimize` returns it.

    Examples
    --------
    >>> import numpy as np, scipy.optimize, adaopt
    >>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
    ...                               jac=lambda x: 2 * x, method=adaopt.rmsprop,
    ...                               options=dict(lr=0.05, maxiter=500))
    >>> res.success, res.status, bool(np.abs(res.jac).max() <= 1e-5)
    (True, 0, True)
    """
    for name, value in (("hess", hess), ("hessp", hessp)):
        if value is not None:
            warnings.warn(f"Method rmsprop does not use Hessian information ({name}).",
                          RuntimeWarning, stacklevel=3)
    if not (constraints is None or (isinstance(constraints, (list, tuple))
                                    and len(constraints) == 0)):
        warnings.warn("Method rmsprop cannot handle constraints.", RuntimeWarning,
                      stacklevel=3)
    tol = options.pop("tol", None)
    problem = parse_problem(fun, x0, args=args, method="rmsprop", jac=jac,
                            bounds=bounds, tol=tol, callback=callback,
                            options=options)
    return run(problem)
