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

Every evaluation point lies in the bounds, with scipy's rules for a step
that would leave them (see :func:`_steps_in_bounds`); a fixed variable
(``lb == ub``) is not perturbed at all and gets the derivative 0, so an
iteration costs ``m + 1``, ``2m + 1`` or ``m + 1`` calls for ``m`` free
variables.  Every call counts in ``nfev``.  ``fun`` must return a real
scalar (a 1-element array is accepted) at every call; anything else raises
``ValueError``.
"""

import numpy as np

from ._validation import check_value

__all__ = ["FD_METHODS", "FiniteDifferenceGradient", "calls_per_gradient",
           "free_variables"]

FD_METHODS = ("2-point", "3-point", "cs")


def calls_per_gradient(method, n):
    """Calls of ``fun`` per ``(f, g)`` evaluation, including ``f(x)`` itself.

    ``n`` counts the free variables only: a fixed one (``lb == ub``) is
    never perturbed.
    """
    return {"2-point": n + 1, "3-point": 2 * n + 1, "cs": n + 1}[method]


def free_variables(lower, upper, n):
    """The number of variables finite differences perturb: those with ``lb < ub``."""
    if lower is None:
        return n
    return int(np.count_nonzero(lower != upper))


def _steps_in_bounds(x, h, method, lo, hi):
    """Steps that keep every evaluation point in ``[lo, hi]``, and which are one-sided.

    scipy's ``_adjust_scheme_to_bounds`` (scipy/optimize/_numdiff.py, one
    step in each direction): a ``'2-point'`` step is flipped when it leaves
    the box and fits on the other side, else it goes to the farther bound; a
    ``'3-point'`` stencil is central when both sides fit, else one-sided
    into the larger side with steps at most half the room there (or central
    with the smaller room when that is not shorter).  Computed in float64.
    """
    x = x.astype(np.float64)
    lower_dist = x - lo
    upper_dist = hi - x
    if method == "2-point":
        one_sided = np.ones(x.shape, dtype=bool)
        xh = x + h
        violated = (xh < lo) | (xh > hi)
        fitting = np.abs(h) <= np.maximum(lower_dist, upper_dist)
        h = np.where(violated & fitting, -h, h)
        forward = (upper_dist >= lower_dist) & ~fitting
        backward = (upper_dist < lower_dist) & ~fitting
        h = np.where(forward, upper_dist, np.where(backward, -lower_dist, h))
        return h, one_sided
    h = np.abs(h)
    one_sided = np.zeros(x.shape, dtype=bool)
    central = (lower_dist >= h) & (upper_dist >= h)
    forward = (upper_dist >= lower_dist) & ~central
    backward = (upper_dist < lower_dist) & ~central
    adj = np.where(forward, np.minimum(h, 0.5 * upper_dist),
                   np.where(backward, -np.minimum(h, 0.5 * lower_dist), h))
    one_sided = forward | backward
    min_dist = np.minimum(upper_dist, lower_dist)
    adjusted_central = ~central & (np.abs(adj) <= min_dist)
    adj = np.where(adjusted_central, min_dist, adj)
    one_sided &= ~adjusted_central
    return adj, one_sided


class FiniteDifferenceGradient:
    """``(x) -> (f(x), g)`` with ``g`` by finite differences of ``fun``.

    Every evaluation point lies in the bounds.  A fixed variable
    (``lb == ub``) is never perturbed and its derivative is reported as 0
    (scipy's ``minimize`` removes such variables before differencing and
    reports NaN there; for adaopt a NaN would read as a failed evaluation,
    and 0 is the projected gradient of a fixed variable anyway).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (a real scalar or a 1-element array).
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
        if lower is None:
            self.free = None
        else:
            self.free = np.flatnonzero(lower != upper)
            self.lower = lower.astype(np.float64)
            self.upper = upper.astype(np.float64)

    def _f(self, x):
        """One call of ``fun`` on a private copy of ``x``, checked as a real scalar."""
        self.calls += 1
        return check_value(self.fun(x.copy(), *self.args))

    def __call__(self, x):
        x = np.array(x)         # the caller's iterate stays untouched
        dtype = x.dtype
        eps = np.finfo(dtype).eps
        if self.method == "cs":
            self.calls += 1
            f0 = check_value(self.fun(x.copy(), *self.args), "real")
        else:
            f0 = self._f(x)
        rel = eps ** (1 / 3) if self.method == "3-point" else eps ** 0.5
        h = rel * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x.astype(np.float64)))
        g = np.zeros(x.shape, dtype=dtype)
        free = range(x.size) if self.free is None else self.free
        if self.method == "cs":
            xc = x.astype(np.complex128 if dtype == np.float64 else np.complex64)
            for i in free:
                xc[i] = x[i] + 1j * h[i]
                self.calls += 1
                g[i] = check_value(self.fun(xc.copy(), *self.args), "imag") / h[i]
                xc[i] = x[i]
            return f0, g
        one_sided = None
        if self.lower is not None:
            h, one_sided = _steps_in_bounds(x, h, self.method, self.lower, self.upper)
        xp = x.copy()
        for i in free:
            xi = x[i]
            if self.method == "2-point":
                xp[i] = xi + h[i]
                dx = float(xp[i]) - float(xi)  # the step actually taken, after rounding
                g[i] = (self._f(xp) - f0) / dx
            elif one_sided is not None and one_sided[i]:
                xp[i] = xi + h[i]
                f1 = self._f(xp)
                xp[i] = xi + 2 * h[i]
                f2 = self._f(xp)
                g[i] = (-3.0 * f0 + 4.0 * f1 - f2) / (float(xp[i]) - float(xi))
            else:
                xp[i] = xi - h[i]
                f1 = self._f(xp)
                lo_i = float(xp[i])
                xp[i] = xi + h[i]
                f2 = self._f(xp)
                g[i] = (f2 - f1) / (float(xp[i]) - lo_i)
            xp[i] = xi
        return f0, g
