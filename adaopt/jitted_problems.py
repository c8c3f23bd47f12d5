r"""Numba-jitted test problems, for the compiled driver (:mod:`adaopt._compiled_loop`).

The functions of :mod:`adaopt.problems` are plain Python; these are the same
objectives as Numba-jitted functions, so that ``adaopt.minimize`` can run its
whole loop compiled and ``rmsprop_njit`` can call them from compiled code.
``logistic_block`` is a per-block function for
:func:`adaopt.chunked_objective`: the log-loss of a block of rows.
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

__all__ = ["rosenbrock_fg", "rosenbrock_f", "rosenbrock_grad", "exp_decay_fg",
           "logistic_block"]


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


@njit_cached
def logistic_block(w, X, y):
    r"""The logistic log-loss of the rows of ``X`` and its gradient, summed over the rows.

    .. math::

        f(w) = \sum_j \bigl[\log(1 + e^{z_j}) - y_j z_j\bigr], \qquad
        \nabla f(w) = \sum_j \bigl(\sigma(z_j) - y_j\bigr)\, x_j, \qquad
        z_j = x_j^\top w,

    for labels :math:`y_j \in \{0, 1\}`, in one pass over ``X`` (NumPy's
    ``X @ w`` then ``X.T @ r`` reads it twice); both terms are computed
    without overflow for any :math:`z`.  A ``block_fun`` for
    :func:`adaopt.chunked_objective` (see :doc:`/guide/scaling`); ``f`` is
    summed in float64, the gradient has ``w``'s dtype.
    """
    f = 0.0
    g = np.zeros_like(w)
    for i in range(X.shape[0]):
        z = 0.0
        for j in range(X.shape[1]):
            z += X[i, j] * w[j]
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|); sigma(z) from e^-|z| <= 1
        e = np.exp(-abs(z))
        f += max(z, 0.0) + np.log1p(e) - y[i] * z
        r = (1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)) - y[i]
        for j in range(X.shape[1]):
            g[j] += r * X[i, j]
    return f, g
