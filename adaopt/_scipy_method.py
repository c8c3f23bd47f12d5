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
from ._problem import parse_problem
from ._adadelta import ADADELTA
from ._adagrad import ADAGRAD
from ._adam import ADAM, ADAMW
from ._adamax import ADAMAX
from ._radam import RADAM
from ._rmsprop import RMSPROP
from ._sgd import SGD_METHOD

__all__ = ["make_scipy_method", "rmsprop", "adam", "adamw", "adagrad", "sgd",
           "adamax", "adadelta", "radam"]


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

#: RMSprop as a scipy custom method (see its docstring).
rmsprop = make_scipy_method(RMSPROP, _RMSPROP_DOC)

_ADAM_DOC = """Adam for ``scipy.optimize.minimize(fun, x0, method=adaopt.adam)``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.Adam` (``lr``, ``betas``, ``eps``, ``weight_decay``,
``amsgrad``, ``maximize``, ``decoupled_weight_decay``, ``clip_value``,
``clip_norm``) and those of :func:`adaopt.minimize`.

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.adam,
...                               options=dict(lr=0.05, maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: Adam as a scipy custom method (see its docstring).
adam = make_scipy_method(ADAM, _ADAM_DOC)

_ADAMW_DOC = """AdamW for ``scipy.optimize.minimize(fun, x0, method=adaopt.adamw)``.

As :func:`adaopt.adam`, with the options of :class:`adaopt.AdamW` (its
weight decay decoupled, ``weight_decay=1e-2`` by default).

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.adamw,
...                               options=dict(lr=0.05, maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: AdamW as a scipy custom method (see its docstring).
adamw = make_scipy_method(ADAMW, _ADAMW_DOC)

_SGD_DOC = """SGD for ``scipy.optimize.minimize(fun, x0, method=adaopt.sgd)``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.SGD` (``lr``, ``momentum``, ``dampening``,
``weight_decay``, ``nesterov``, ``maximize``, ``clip_value``,
``clip_norm``) and those of :func:`adaopt.minimize`.

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.sgd,
...                               options=dict(lr=0.1, momentum=0.5, maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: SGD as a scipy custom method (see its docstring).
sgd = make_scipy_method(SGD_METHOD, _SGD_DOC)

_ADAGRAD_DOC = """Adagrad for ``scipy.optimize.minimize(fun, x0, method=adaopt.adagrad)``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.Adagrad` (``lr``, ``lr_decay``, ``weight_decay``,
``initial_accumulator_value``, ``eps``, ``maximize``, ``clip_value``,
``clip_norm``) and those of :func:`adaopt.minimize`.

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.adagrad,
...                               options=dict(lr=0.5, maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: Adagrad as a scipy custom method (see its docstring).
adagrad = make_scipy_method(ADAGRAD, _ADAGRAD_DOC)

_ADAMAX_DOC = """Adamax for ``scipy.optimize.minimize(fun, x0, method=adaopt.adamax)``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.Adamax` (``lr``, ``betas``, ``eps``, ``weight_decay``,
``maximize``, ``clip_value``, ``clip_norm``) and those of
:func:`adaopt.minimize`.

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.adamax,
...                               options=dict(lr=0.05, maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: Adamax as a scipy custom method (see its docstring).
adamax = make_scipy_method(ADAMAX, _ADAMAX_DOC)

_ADADELTA_DOC = """Adadelta for ``scipy.optimize.minimize(fun, x0, method=adaopt.adadelta)``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.Adadelta` (``lr``, ``rho``, ``eps``, ``weight_decay``,
``maximize``, ``clip_value``, ``clip_norm``) and those of
:func:`adaopt.minimize`.

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.adadelta,
...                               options=dict(maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: Adadelta as a scipy custom method (see its docstring).
adadelta = make_scipy_method(ADADELTA, _ADADELTA_DOC)

_RADAM_DOC = """RAdam for ``scipy.optimize.minimize(fun, x0, method=adaopt.radam)``.

Parameters and returns as for :func:`adaopt.rmsprop`, with the options of
:class:`adaopt.RAdam` (``lr``, ``betas``, ``eps``, ``weight_decay``,
``decoupled_weight_decay``, ``maximize``, ``clip_value``, ``clip_norm``)
and those of :func:`adaopt.minimize`.

Examples
--------
>>> import numpy as np, scipy.optimize, adaopt
>>> res = scipy.optimize.minimize(lambda x: x @ x, [3.0, -4.0],
...                               jac=lambda x: 2 * x, method=adaopt.radam,
...                               options=dict(lr=0.05, maxiter=3000))
>>> res.status, bool(np.abs(res.x).max() < 1e-3)
(0, True)
"""

#: RAdam as a scipy custom method (see its docstring).
radam = make_scipy_method(RADAM, _RADAM_DOC)
