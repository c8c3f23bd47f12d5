"""A plain NumPy reference of the update rule in DESIGN.md section 2.

Written from the design document, not from adaopt's kernels: one numbered
step of the rule per block below, whole-array NumPy arithmetic in the dtype of
the parameters.  The tests compare adaopt against it.

Scalar rounding follows what adaopt documents (and what PyTorch does): each
scalar derived from the hyperparameters is computed in float64 (Python floats)
and rounded once to the array dtype:

* ``1 - rho``;
* ``lr * weight_decay`` for decoupled decay;
* the bias-correction factor ``1 / (1 - rho**t)``, which then *multiplies*
  ``v`` and ``m`` (the design writes a division by ``1 - rho**t``; a
  multiplication by the rounded reciprocal can differ from it by one rounding,
  which the tests' tolerances allow for);
* the ``clip_norm`` factor ``min(1, c / ||g||)``, with ``||g||`` the norm of
  the value-clipped gradient over the elements whose gradient is finite,
  summed exactly in float64 (``math.fsum``).

Every other operation is one correctly rounded NumPy operation in the dtype,
in the order the design writes it; products of three factors associate left
to right (``(1 - rho) * g * g``).

:class:`TorchPlateau` is PyTorch's ``ReduceLROnPlateau`` rule as PyTorch
writes it, the reference of adaopt's plateau rule.
"""

import math

import numpy as np

DEFAULTS = dict(lr=1e-3, rho=0.9, eps=1e-8, momentum=0.0, nesterov=False,
                centered=False, weight_decay=0.0, decoupled_weight_decay=False,
                maximize=False, eps_in_sqrt=False, bias_correction=False,
                initial_scale=0.0, clip_value=None, clip_norm=None,
                nonfinite="raise")


class ReferenceRMSprop:
    """RMSprop on a private copy of ``theta``, one plain NumPy step at a time.

    ``step(grad, lr=None)`` returns the boolean mask of the elements that were
    kept unchanged because their gradient or their new values were not finite
    (always all False with ``nonfinite='propagate'``).
    """

    def __init__(self, theta, **options):
        unknown = set(options) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown options {sorted(unknown)}")
        self.o = dict(DEFAULTS, **options)
        self.dtype = theta.dtype
        self.theta = theta.copy()
        n = theta.size
        self.v = np.full(n, self.o["initial_scale"], dtype=self.dtype)
        self.m = np.zeros(n, dtype=self.dtype)
        self.b = np.zeros(n, dtype=self.dtype)
        # Per element, the sum over steps of |change| of each array, in
        # float64: rounding errors of a step are relative to the size of its
        # change, so this bounds how far a faithful implementation can drift
        # from the reference (see ``assert_close``).
        self.path = {name: np.zeros(n) for name in ("theta", "v", "m", "b")}
        self.t = 0

    def _scalar(self, value):
        """Round a float64 scalar once to the array dtype."""
        return self.dtype.type(value)

    def step(self, grad, lr=None):
        o, f = self.o, self._scalar
        self.t += 1
        t = self.t
        lr = o["lr"] if lr is None else lr
        rho = f(o["rho"])
        one_minus_rho = f(1.0 - o["rho"])
        theta = self.theta
        g = grad.astype(self.dtype, copy=True)
        finite_grad = np.isfinite(g)

        # 1. maximize
        if o["maximize"]:
            g = -g
        # 2. clipping: by value, then by the global norm of the clipped gradient
        if o["clip_value"] is not None:
            c = f(o["clip_value"])
            # where(), not np.clip: a NaN gradient must stay NaN
            g = np.where(g > c, c, np.where(g < -c, -c, g))
        if o["clip_norm"] is not None:
            # elements whose gradient is not finite take no step and do not
            # count towards the norm
            finite = g[finite_grad].astype(np.float64)
            # the norm itself, not the sum of squares, must be finite
            big = float(np.max(np.abs(finite), initial=0.0))
            if big > 0:
                scaled = finite / big if big > 1e150 else finite
                norm = math.sqrt(math.fsum(scaled * scaled)) * (big if big > 1e150 else 1)
            else:
                norm = 0.0
            if norm > 0:
                g = g * f(min(1.0, o["clip_norm"] / norm))
        # 3. coupled weight decay
        if o["weight_decay"] > 0 and not o["decoupled_weight_decay"]:
            g = g + f(o["weight_decay"]) * theta
        # 4. second moment
        # (1 - rho) * g * g in this order, as adaopt and PyTorch's addcmul
        v = rho * self.v + one_minus_rho * g * g
        # 5. centered: first moment and clamped variance; 6. bias correction
        bias = f(1.0 / (1.0 - o["rho"] ** t)) if o["bias_correction"] else f(1.0)
        if o["centered"]:
            m = rho * self.m + one_minus_rho * g
            m_hat = m * bias
            s = np.maximum(v * bias - m_hat * m_hat, f(0.0))
        else:
            m = self.m
            s = v * bias
        # 7. denominator
        if o["eps_in_sqrt"]:
            d = np.sqrt(s + f(o["eps"]))
        else:
            d = np.sqrt(s) + f(o["eps"])
        # 8. direction
        u = g / d
        # 9. momentum (buffer holds g/d; nesterov looks one step ahead)
        if o["momentum"] > 0:
            mu = f(o["momentum"])
            b = mu * self.b + u
            u = u + mu * b if o["nesterov"] else b
        else:
            b = self.b
        # 10. decoupled weight decay
        new = theta
        if o["weight_decay"] > 0 and o["decoupled_weight_decay"]:
            new = new - f(lr * o["weight_decay"]) * new
        # 11. step
        new = new - f(lr) * u

        with np.errstate(invalid="ignore"):
            if o["nonfinite"] == "propagate":
                kept = np.zeros(theta.size, dtype=bool)
            else:
                kept = ~(finite_grad & np.isfinite(new) & np.isfinite(v)
                         & np.isfinite(m) & np.isfinite(b))
        for name, old, value in (("theta", theta, new), ("v", self.v, v),
                                 ("m", self.m, m), ("b", self.b, b)):
            value = np.where(kept, old, value)
            with np.errstate(invalid="ignore"):
                self.path[name] += np.abs(value.astype(np.float64) - old)
            setattr(self, name, value)
        return kept

    def arrays(self):
        """Parameters and state by adaopt's names, with their paths."""
        return {"params": (self.theta, self.path["theta"]),
                "square_avg": (self.v, self.path["v"]),
                "grad_avg": (self.m, self.path["m"]),
                "momentum_buffer": (self.b, self.path["b"])}


def assert_close(actual, desired, path, nulp=4, what="array"):
    """Assert ``actual`` is within ``nulp`` roundings of ``desired``.

    Elementwise ``|actual - desired| <= nulp * eps * (|desired| + path)``
    with ``eps`` of the dtype and ``path`` the reference's summed
    ``|change|`` of that element over all steps: each step's roundings are
    relative to the values it adds, so an implementation that rounds a few
    operations differently (a product of three factors associated the other
    way, a reciprocal multiplied instead of divided) stays inside this bound
    even where cancellation brings the value itself near zero.  Non-finite
    values must match exactly (same positions, same values).
    """
    assert actual.dtype == desired.dtype, (what, actual.dtype, desired.dtype)
    assert actual.shape == desired.shape, (what, actual.shape, desired.shape)
    a = actual.astype(np.float64)
    d = desired.astype(np.float64)
    fin = np.isfinite(d)
    np.testing.assert_array_equal(a[~fin], d[~fin], err_msg=what)
    eps = np.finfo(desired.dtype).eps
    allowed = nulp * eps * (np.abs(d[fin]) + np.nan_to_num(path[fin]))
    err = np.abs(a[fin] - d[fin])
    bad = ~(err <= allowed)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise AssertionError(
            f"{what}: {bad.sum()} of {bad.size} elements off by more than "
            f"{nulp} roundings; first at finite index {i}: actual {a[fin][i]!r}, "
            f"desired {d[fin][i]!r}, allowed error {allowed[i]!r}")


class TorchPlateau:
    """PyTorch's ReduceLROnPlateau for one group with learning rate ``lr``."""

    def __init__(self, lr, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics):
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old_lr = float(self.lr)
            new_lr = max(old_lr * self.factor, self.min_lr)
            if old_lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


class BoldDriverReference:
    """The bold driver as :class:`adaopt.schedules.bold_driver` documents it.

    ``step(metric)`` takes the value just evaluated; ``lr`` is then the rate
    of the next step: up by ``increase`` (capped at ``max_lr`` and at
    ``max_growth`` times the first rate) after a
    fall, down by ``decrease`` (floored at ``min_lr``) after a rise, kept
    otherwise and after the first value.
    """

    def __init__(self, lr, increase=1.1, decrease=0.85, min_lr=0.0, max_lr=math.inf,
                 max_growth=1000.0):
        self.lr, self.increase, self.decrease = lr, increase, decrease
        # the cap: max_lr, and max_growth times the first rate
        self.min_lr = min_lr
        self.max_lr = min(max_lr, max_growth * lr) if lr > 0 else max_lr
        self.last = None

    def step(self, metric):
        if self.last is not None and metric < self.last:
            self.lr = min(self.lr * self.increase, self.max_lr)
        elif self.last is not None and metric > self.last:
            self.lr = max(self.lr * self.decrease, self.min_lr)
        self.last = metric
