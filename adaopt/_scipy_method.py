"""``adaopt.rmsprop``: the solver as a custom method of :func:`scipy.optimize.minimize`.

scipy calls a callable ``method`` as ``method(fun, x0, args=..., jac=...,
hess=..., hessp=..., bounds=..., constraints=..., callback=..., **options)``
*before* it wraps the callback or sets up finite differences, so this
function gets the user's raw callback and ``jac=None`` for any
finite-difference string, and reports ``StopIteration`` itself.  It parses
its arguments with :func:`adaopt._problem.parse_problem` and runs the same
drivers as :func:`adaopt.minimize`: the two front ends share one loop.  The
function carries its method's description as ``adaopt_method``, which is
how ``adaopt.minimize(..., method=adaopt.rmsprop)`` recognizes it.
"""

import warnings

from ._minimize import run
from ._problem import METHODS, parse_problem


def make_scipy_method(method, doc):
    """The scipy custom method of ``method`` (a description), documented by ``doc``."""
    name = method.name

    def custom_method(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None,
                      constraints=(), callback=None, **options):
        for what, value in (("hess", hess), ("hessp", hessp)):
            if value is not None:
                warnings.warn(f"Method {name} does not use Hessian information "
                              f"({what}).", RuntimeWarning, stacklevel=3)
        if not (constraints is None or (isinstance(constraints, (list, tuple))
                                        and len(constraints) == 0)):
            warnings.warn(f"Method {name} cannot handle constraints.", RuntimeWarning,
                          stacklevel=3)
        tol = options.pop("tol", None)
        problem = parse_problem(fun, x0, args=args, method=name, jac=jac,
                                bounds=bounds, tol=tol, callback=callback,
                                options=options)
        return run(problem)

    custom_method.__name__ = custom_method.__qualname__ = name
    custom_method.__module__ = "adaopt"
    custom_method.__doc__ = doc
    custom_method.adaopt_method = method
    return custom_method


_RMSPROP_DOC = """RMSprop for ``scipy.optimize.minimize(fun, x0, method=adaopt.rmsprop)``.

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

_METHOD_DOC = """{title} for ``scipy.optimize.minimize(fun, x0, method=adaopt.{name})``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.{title}` ({options}) and those of :func:`adaopt.minimize`.

Examples
--------
With :func:`adaopt.minimize`'s default policy (the rate starts at the
class's ``lr`` and the bold driver adapts it):

>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.{name})
>>> res.success, res.status, bool(np.abs(res.x).max() < 1e-4)
(True, 0, True)
"""


def method_doc(method):
    """The docstring of a method's scipy custom method (RMSprop's is written out)."""
    if method.name == "rmsprop":
        return _RMSPROP_DOC
    options = ", ".join(f"``{h.name}``" for h in method.hyperparameters
                        if h.in_minimize and not h.fixed)
    return _METHOD_DOC.format(title=method.title, name=method.name, options=options)


#: The scipy custom method of every method ``minimize`` knows, by its name
#: (``adaopt.rmsprop``, ``adaopt.adam``, ...).
CUSTOM_METHODS = {name: make_scipy_method(m, method_doc(m)) for name, m in METHODS.items()}
globals().update(CUSTOM_METHODS)

__all__ = ["make_scipy_method", "method_doc", "CUSTOM_METHODS", *CUSTOM_METHODS]

