r"""Test problems with known minima, shared by the tests, the demo and the benchmarks.

Each problem has ``fun(x)``, ``jac(x)``, ``fun_and_jac(x)`` (for
``jac=True``), a starting point ``x0`` and the minimum ``x_min``/``f_min``.
``MGH_PROBLEMS`` holds 25 problems of the Moré-Garbow-Hillstrom set
(:mod:`adaopt.mgh`) with the same interface.

>>> from adaopt.problems import Rosenbrock
>>> p = Rosenbrock()
>>> p.fun(p.x_min), p.jac(p.x_min) + 0.0, p.x0
(0.0, array([0., 0.]), array([-1.2,  1. ]))
"""

import numpy as np

from .mgh import MGH_PROBLEMS, MGHProblem

__all__ = ["Rosenbrock", "IllConditionedQuadratic", "LogisticRegression", "MGH_PROBLEMS",
           "MGHProblem"]


class Rosenbrock:
    r"""The Rosenbrock function in ``n`` dimensions (scipy's ``rosen``).

    .. math::

        f(x) = \sum_{i=1}^{n-1} 100\,(x_{i+1} - x_i^2)^2 + (1 - x_i)^2,

    minimum :math:`f = 0` at :math:`x = (1, \dots, 1)`, started from the
    classic :math:`(-1.2, 1, -1.2, 1, \dots)`.
    """

    def __init__(self, n=2, dtype=np.float64):
        if n < 2:
            raise ValueError(f"n must be >= 2, got {n!r}")
        self.n = n
        self.x0 = np.resize(np.array([-1.2, 1.0]), n).astype(dtype)
        self.x_min = np.ones(n, dtype=dtype)
        self.f_min = 0.0

    def fun(self, x):
        a, b = x[:-1], x[1:]
        return float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))

    def jac(self, x):
        a, b = x[:-1], x[1:]
        t = b - a * a
        g = np.zeros_like(x)
        g[:-1] = -400.0 * a * t - 2.0 * (1.0 - a)
        g[1:] += 200.0 * t
        return g

    def fun_and_jac(self, x):
        return self.fun(x), self.jac(x)


class IllConditionedQuadratic:
    r"""A diagonal quadratic with condition number ``cond``.

    .. math::

        f(x) = \tfrac12 \sum_i d_i (x_i - c_i)^2, \qquad
        d_i = \mathrm{cond}^{\,i/(n-1)},

    minimum :math:`f = 0` at :math:`x = c = (1, 2, \dots, n) / n`, started
    from 0.  Plain gradient descent needs a step below :math:`2/d_{max}`
    and then crawls along the flat directions; RMSprop's per-coordinate
    scaling does not care about ``cond``.
    """

    def __init__(self, n=10, cond=1e4, dtype=np.float64):
        if n < 2:
            raise ValueError(f"n must be >= 2, got {n!r}")
        self.n = n
        self.cond = cond
        self.d = (cond ** (np.arange(n) / (n - 1))).astype(dtype)
        self.x_min = (np.arange(1, n + 1) / n).astype(dtype)
        self.x0 = np.zeros(n, dtype=dtype)
        self.f_min = 0.0

    def fun(self, x):
        r = x - self.x_min
        return float(0.5 * np.dot(self.d * r, r))

    def jac(self, x):
        return self.d * (x - self.x_min)

    def fun_and_jac(self, x):
        r = x - self.x_min
        dr = self.d * r
        return float(0.5 * np.dot(dr, r)), dr


class LogisticRegression:
    r"""L2-regularized logistic regression on synthetic data, with minibatches.

    Data: ``n_samples`` rows :math:`a_j \sim N(0, I)` of ``n_features``,
    labels :math:`y_j \in \{0, 1\}` drawn with probability
    :math:`\sigma(a_j^\top w_{true})`.  The objective is the mean log-loss plus
    :math:`\tfrac{\lambda}{2}\lVert w\rVert^2`:

    .. math::

        f(w) = \frac1N \sum_j \bigl[\log(1 + e^{a_j^\top w}) - y_j a_j^\top w\bigr]
               + \frac{\lambda}{2}\lVert w\rVert^2 .

    ``fun`` and ``full_jac`` use all the data; ``jac`` is *stochastic*: each
    call draws a fresh minibatch of ``batch_size`` rows (from its own seeded
    generator) and returns that batch's gradient, an unbiased estimate of
    ``full_jac``.  The minimum (unique, the objective is strongly convex) is
    computed once with L-BFGS-B on the full objective to 1e-10 in the
    gradient norm; ``x0`` is 0.

    Examples
    --------
    >>> p = LogisticRegression(n_samples=200, n_features=3, batch_size=20, seed=0)
    >>> g1, g2 = p.jac(p.x0), p.jac(p.x0)    # two minibatches
    >>> bool((g1 != g2).any()), p.x_min.shape
    (True, (3,))
    """

    def __init__(self, n_samples=1000, n_features=5, batch_size=32, l2=1e-2, seed=0):
        rng = np.random.default_rng(seed)
        self.A = rng.standard_normal((n_samples, n_features))
        self.w_true = rng.standard_normal(n_features)
        p = 1.0 / (1.0 + np.exp(-self.A @ self.w_true))
        self.y = (rng.random(n_samples) < p).astype(np.float64)
        self.l2 = l2
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed + 1)
        self.x0 = np.zeros(n_features)
        self._solution = None

    def _loss_grad(self, w, A, y):
        z = A @ w
        loss = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * self.l2 * (w @ w)
        sig = 0.5 * (1.0 + np.tanh(0.5 * z))     # a sigmoid that does not overflow
        grad = A.T @ (sig - y) / len(y) + self.l2 * w
        return float(loss), grad

    def fun(self, w):
        return self._loss_grad(w, self.A, self.y)[0]

    def full_jac(self, w):
        """The exact gradient over all the data."""
        return self._loss_grad(w, self.A, self.y)[1]

    def jac(self, w):
        """The gradient over a fresh random minibatch (a stochastic gradient)."""
        idx = self.rng.integers(0, len(self.y), self.batch_size)
        return self._loss_grad(w, self.A[idx], self.y[idx])[1]

    def fun_and_jac(self, w):
        return self._loss_grad(w, self.A, self.y)

    def _solve(self):
        if self._solution is None:
            from scipy.optimize import minimize
            res = minimize(self.fun_and_jac, self.x0, jac=True, method="L-BFGS-B",
                           options=dict(gtol=1e-10, ftol=0.0, maxiter=10000))
            self._solution = res.x, float(res.fun)
        return self._solution

    @property
    def x_min(self):
        return self._solve()[0]

    @property
    def f_min(self):
        return self._solve()[1]
