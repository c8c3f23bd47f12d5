r"""Numba-jitted test problems, for the compiled driver (:mod:`adaopt._compiled_loop`).

The functions of :mod:`adaopt.problems` are plain Python; these are the same
objectives as Numba-jitted functions, so that ``adaopt.minimize`` can run its
whole loop compiled and ``rmsprop_njit`` can call them from compiled code.
They are cached on disk as adaopt's own kernels are
(``adaopt._numba_cache.njit_cached``: never loaded from a cache that
another user can write).  Importing this module compiles nothing.

>>> import numpy as np
>>> from adaopt.jitted_problems import rosenbrock_fg
>>> rosenbrock_fg(np.array([1.0, 1.0]))
(0.0, array([0., 0.]))
"""

import numpy as np

from ._numba_cache import njit_cached

__all__ = ["rosenbrock_fg", "rosenbrock_f", "rosenbrock_grad", "exp_decay_fg"]


@njit_cached
def rosenbrock_fg(x):
    r"""The Rosenbrock function and its gradient (for ``jac=True``).

    .. math::

        f(x) = \sum_{i=1}^{n-1} 100\,(x_{i+1} - x_i^2)^2 + (1 - x_i)^2,

    as :class:`adaopt.problems.Rosenbrock`; ``f`` is summed in float64, the
    gradient has ``x``'s dtype.
    """
    f = 0.0
    g = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        a = 1.0 - x[i]
        t = x[i + 1] - x[i] * x[i]
        f += a * a + 100.0 * t * t
        g[i] += -2.0 * a - 400.0 * x[i] * t
        g[i + 1] += 200.0 * t
    return f, g


@njit_cached
def rosenbrock_f(x):
    """The Rosenbrock function alone (for a separate ``jac``)."""
    return rosenbrock_fg(x)[0]


@njit_cached
def rosenbrock_grad(x):
    """The gradient of the Rosenbrock function alone."""
    return rosenbrock_fg(x)[1]


@njit_cached
def exp_decay_fg(x, t, y):
    r"""Least squares of the model :math:`a\,e^{-b t}` to data ``y`` at ``t``, and
    its gradient (for ``jac=True``), ``x = (a, b)``:

    .. math::

        f(a, b) = \sum_j \left(a\,e^{-b t_j} - y_j\right)^2.

    One fit per row of a data matrix ``Y`` is
    ``adaopt.multistart(exp_decay_fg, x0s, args=(t,), jac=True, batch_args=(Y,))``.
    """
    f = 0.0
    g = np.zeros_like(x)
    for j in range(t.shape[0]):
        e = np.exp(-x[1] * t[j])
        r = x[0] * e - y[j]
        f += r * r
        g[0] += 2.0 * r * e
        g[1] -= 2.0 * r * x[0] * t[j] * e
    return f, g
