r"""Finite-difference gradients for :func:`adaopt.minimize` (``jac=None`` etc.).

Why our own code: scipy's public helper :func:`scipy.optimize.approx_fprime`
does forward differences only, with an absolute step and no bounds, and does
not hand back ``f(x)`` (so an iteration would cost ``n + 2`` calls instead of
``n + 1``); the function that does all three schemes with bounds,
``scipy.optimize._numdiff.approx_derivative``, is private and may change
without notice.  The rules here follow ``approx_derivative``'s: a relative
step

.. math::

    h_i = r \,\operatorname{sign}(x_i)\,\max(1, |x_i|), \qquad
    r = \epsilon^{1/2} \text{ (2-point, cs)}, \quad \epsilon^{1/3} \text{ (3-point)},

with :math:`\epsilon` the machine epsilon of ``x``'s dtype, and

* ``'2-point'``: :math:`g_i = (f(x + h_i e_i) - f(x)) / h_i`, stepping
  backwards when :math:`x + h_i e_i` leaves the bounds; ``n + 1`` calls;
* ``'3-point'``: :math:`g_i = (f(x + h_i e_i) - f(x - h_i e_i)) / (2 h_i)`,
  one-sided :math:`(-3 f(x) + 4 f(x + h_i e_i) - f(x + 2 h_i e_i)) / (2h_i)`
  (or its mirror) near a bound; ``2n + 1`` calls;
* ``'cs'``: complex step :math:`g_i = \operatorname{Im} f(x + i h_i e_i) / h_i`
  (exact to rounding; ``fun`` must accept complex input), ``n + 1`` calls.

Every call counts in ``nfev``.
"""

import numpy as np

from ._validation import as_gradient

__all__ = ["FD_METHODS", "FiniteDifferenceGradient", "calls_per_gradient",
           "check_gradient"]

FD_METHODS = ("2-point", "3-point", "cs")


def calls_per_gradient(method, n):
    """Calls of ``fun`` per ``(f, g)`` evaluation, including ``f(x)`` itself."""
    return {"2-point": n + 1, "3-point": 2 * n + 1, "cs": n + 1}[method]


class FiniteDifferenceGradient:
    """``(x) -> (f(x), g)`` with ``g`` by finite differences of ``fun``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``.
    method : {'2-point', '3-point', 'cs'}
        The scheme (see the module docstring).
    lower, upper : ndarray or None
        Bounds the evaluation points must respect.
    args : tuple
        Extra arguments of ``fun``.

    Attributes
    ----------
    calls : int
        Calls of ``fun`` made so far.

    Examples
    --------
    >>> import numpy as np
    >>> fd = FiniteDifferenceGradient(lambda x: x @ x, "3-point", None, None, ())
    >>> f, g = fd(np.array([1.0, -2.0]))
    >>> f, g.round(6), fd.calls
    (5.0, array([ 2., -4.]), 5)
    """

    def __init__(self, fun, method, lower, upper, args):
        self.fun = fun
        self.method = method
        self.lower = lower
        self.upper = upper
        self.args = args
        self.calls = 0

    def _f(self, x):
        self.calls += 1
        return self.fun(x, *self.args)

    def __call__(self, x):
        x = np.array(x)         # the caller's (read-only) iterate stays untouched
        dtype = x.dtype
        eps = np.finfo(dtype).eps
        f0 = self._f(x.copy())
        f0r = float(np.real(f0))
        rel = eps ** (1 / 3) if self.method == "3-point" else eps ** 0.5
        h = rel * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x))
        g = np.empty(x.shape, dtype=dtype)
        lo = self.lower if self.lower is not None else np.full(x.shape, -np.inf)
        hi = self.upper if self.upper is not None else np.full(x.shape, np.inf)
        if self.method == "cs":
            xc = x.astype(np.complex128 if dtype == np.float64 else np.complex64)
            for i in range(x.size):
                xc[i] = x[i] + 1j * h[i]
                g[i] = np.imag(self._f(xc.copy())) / h[i]
                xc[i] = x[i]
            return f0r, g
        xp = x.copy()
        for i in range(x.size):
            hi_ = h[i]
            if self.method == "2-point":
                if not lo[i] <= x[i] + hi_ <= hi[i]:
                    hi_ = -hi_
                xp[i] = x[i] + hi_
                dx = xp[i] - x[i]          # the step actually taken, after rounding
                g[i] = (float(self._f(xp.copy())) - float(f0r)) / dx
            else:
                fwd_ok = x[i] + abs(hi_) <= hi[i]
                bwd_ok = x[i] - abs(hi_) >= lo[i]
                if fwd_ok and bwd_ok:
                    xp[i] = x[i] + hi_
                    f1 = float(self._f(xp.copy()))
                    xp[i] = x[i] - hi_
                    f2 = float(self._f(xp.copy()))
                    g[i] = (f1 - f2) / (2 * hi_)
                else:
                    s = abs(hi_) if fwd_ok or x[i] + 2 * abs(hi_) <= hi[i] else -abs(hi_)
                    xp[i] = x[i] + s
                    f1 = float(self._f(xp.copy()))
                    xp[i] = x[i] + 2 * s
                    f2 = float(self._f(xp.copy()))
                    g[i] = (-3 * float(f0r) + 4 * f1 - f2) / (2 * s)
            xp[i] = x[i]
        return f0r, g


def check_gradient(g, x):
    """Return ``g`` as a writable, C-contiguous, aligned array of ``x``'s
    dtype and shape: :func:`adaopt._validation.as_gradient` (the one
    converting check of every path; see there)."""
    return as_gradient(g, x)
