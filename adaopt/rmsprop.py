r"""The :class:`RMSprop` optimizer object.

It turns hyperparameters into the scalar table of :mod:`adaopt.kernels` and
calls the fused loop; the arithmetic itself lives in the kernel.
"""

import math

import numpy as np

from . import kernels
from ._validation import check_bool, check_choice, check_real
from .kernels import HP
from .optimizer import NonFiniteUpdateError, Optimizer

__all__ = ["RMSprop"]

_NONFINITE = ("raise", "skip", "propagate")
_LR = HP.LR


class RMSprop(Optimizer):
    r"""RMSprop over a flat parameter vector, updated in place.

    Per element, at step t = 1, 2, ... with gradient g, parameter theta and
    learning rate lr(t), in this order (each line only when its option is
    on)::

        g     = -g                               maximize
        g     = clip(g, -clip_value, clip_value) clip_value
        g     = g * min(1, clip_norm / |g|_2)    clip_norm (whole vector)
        g     = g + weight_decay * theta         weight_decay (coupled)
        v     = rho * v + (1 - rho) * g**2       v starts at initial_scale
        m     = rho * m + (1 - rho) * g          centered (m starts at 0)
        s     = max(v - m**2, 0)                 centered; else s = v
                (v and m divided by 1 - rho**t)  bias_correction
        u     = g / (sqrt(s) + eps)              eps_in_sqrt: g / sqrt(s + eps)
        b     = momentum * b + u;  u = b         momentum (b starts at 0)
                nesterov: u = u + momentum * b
        theta = theta - lr * weight_decay * theta    decoupled_weight_decay
        theta = theta - lr * u

    The same rule typeset, with where it comes from, is in the theory page
    of the documentation.

    Parameters
    ----------
    params : ndarray
        Writable C-contiguous aligned 1-D float32 or float64 array in native
        byte order, updated in place.
        float32 stays float32: every scalar is rounded to the array's dtype.
    lr : float, default 1e-3
        Learning rate, ``>= 0``.  Overridden by ``lr_schedule``.
    rho : float, default 0.9
        Decay of the moving averages, ``0 <= rho < 1`` (PyTorch's ``alpha``,
        optax's ``decay``).  0.9 is Hinton's value and Keras' default.
    eps : float, default 1e-8
        Added to the denominator, ``>= 0``.
    momentum : float, default 0
        Momentum ``>= 0``; the buffer holds ``g/d`` and ``lr`` is
        applied after it, as in PyTorch.
    nesterov : bool, default False
        Nesterov momentum as in optax (needs ``momentum > 0``).
    centered : bool, default False
        Divide by an estimate of the gradient's variance instead of its second
        moment.  The variance is clamped at 0, so rounding cannot make it
        negative (PyTorch and optax can return NaN there).
    weight_decay : float, default 0
        L2 penalty ``>= 0`` added to the gradient (coupled), or
        applied to the parameters directly when ``decoupled_weight_decay``.
    decoupled_weight_decay : bool, default False
        Keras-style decoupled weight decay ``theta -= lr * weight_decay * theta``.
    maximize : bool, default False
        Maximize the objective (ascend the gradient).
    eps_in_sqrt : bool, default False
        Put ``eps`` inside the square root, as optax and Keras do.
    bias_correction : bool, default False
        Divide the averages by ``1 - rho**t``, as optax's
        ``bias_correction=True``.
    initial_scale : float, default 0
        Starting value ``v0 >= 0`` of the second moment (TF1's
        ``RMSPropOptimizer`` uses 1).
    clip_value : float, optional
        Clip each gradient element to ``[-clip_value, clip_value]``.
    clip_norm : float, optional
        Rescale the gradient so its global L2 norm is at most ``clip_norm``
        (after ``clip_value``).
    lr_schedule : callable, optional
        ``lr_schedule(t) -> lr`` for step ``t`` (1-based); see
        :mod:`adaopt.schedules`.
    nonfinite : {'raise', 'skip', 'propagate'}, default 'raise'
        What a step does where a gradient element, or the update it leads to,
        is not finite.  ``'raise'`` and ``'skip'`` leave such elements and
        their state unchanged (every other element takes its step);
        ``'raise'`` then raises :class:`NonFiniteUpdateError`.
        ``'propagate'`` writes whatever the arithmetic gives, as PyTorch does.

    Attributes
    ----------
    params : ndarray
        The array passed in.
    step_count : int
        Steps taken so far.
    lr : float
        Learning rate of the next step.
    state : dict of ndarray
        ``square_avg`` (v), and ``grad_avg`` (m, centered) and
        ``momentum_buffer`` (b, momentum) when used.

    See Also
    --------
    adaopt.minimize : the same update behind a scipy.optimize front end.

    Examples
    --------
    The anisotropic quadratic ``f(x, y) = x**2 + 10 y**2`` from (5, 5):

    >>> import numpy as np
    >>> import adaopt
    >>> x = np.array([5.0, 5.0])
    >>> opt = adaopt.RMSprop(x, lr=0.1, rho=0.9)
    >>> for _ in range(10):
    ...     opt.step(np.array([2 * x[0], 20 * x[1]]))
    >>> x.round(4)
    array([3.3808, 3.3808])
    >>> opt
    RMSprop(n=2, dtype=float64, lr=0.1, step_count=10)
    """

    hyperparameter_defaults = {
        "rho": 0.9,
        "eps": 1e-8,
        "momentum": 0.0,
        "nesterov": False,
        "centered": False,
        "weight_decay": 0.0,
        "decoupled_weight_decay": False,
        "maximize": False,
        "eps_in_sqrt": False,
        "bias_correction": False,
        "initial_scale": 0.0,
        "clip_value": None,
        "clip_norm": None,
        "nonfinite": "raise",
    }
    state_names = ("square_avg", "grad_avg", "momentum_buffer")
    _grad_overlap_check = False  # the step loop raises it (adaopt.kernels)

    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-8, *, momentum=0.0,
                 nesterov=False, centered=False, weight_decay=0.0,
                 decoupled_weight_decay=False, maximize=False, eps_in_sqrt=False,
                 bias_correction=False, initial_scale=0.0, clip_value=None,
                 clip_norm=None, lr_schedule=None, nonfinite="raise"):
        super().__init__(
            params, lr, lr_schedule, rho=rho, eps=eps, momentum=momentum,
            nesterov=nesterov, centered=centered, weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
            eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction,
            initial_scale=initial_scale, clip_value=clip_value,
            clip_norm=clip_norm, nonfinite=nonfinite)

    # -- Optimizer hooks -------------------------------------------------------

    def _check_hyperparameters(self, hyper):
        unknown = sorted(set(hyper) - set(self.hyperparameter_defaults))
        if unknown:
            raise TypeError(f"RMSprop got unexpected hyperparameters {unknown}")
        h = dict(self.hyperparameter_defaults)
        h.update(hyper)
        finite = dict(high=math.inf, high_open=True)
        out = {
            "rho": check_real("rho", h["rho"], low=0.0, high=1.0, high_open=True),
            "eps": check_real("eps", h["eps"], low=0.0, **finite),
            "momentum": check_real("momentum", h["momentum"], low=0.0, **finite),
            "nesterov": check_bool("nesterov", h["nesterov"]),
            "centered": check_bool("centered", h["centered"]),
            "weight_decay": check_real("weight_decay", h["weight_decay"], low=0.0,
                                       **finite),
            "decoupled_weight_decay": check_bool("decoupled_weight_decay",
                                                 h["decoupled_weight_decay"]),
            "maximize": check_bool("maximize", h["maximize"]),
            "eps_in_sqrt": check_bool("eps_in_sqrt", h["eps_in_sqrt"]),
            "bias_correction": check_bool("bias_correction", h["bias_correction"]),
            "initial_scale": check_real("initial_scale", h["initial_scale"],
                                        low=0.0, **finite),
            "clip_value": check_real("clip_value", h["clip_value"], low=0.0,
                                     low_open=True, allow_none=True, **finite),
            "clip_norm": check_real("clip_norm", h["clip_norm"], low=0.0,
                                    low_open=True, allow_none=True, **finite),
            "nonfinite": check_choice("nonfinite", h["nonfinite"], _NONFINITE),
        }
        if out["nesterov"] and out["momentum"] == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0.0")
        return out

    def _init_state(self, params, hyper):
        dtype, n = params.dtype, params.size
        empty = np.empty(0, dtype=dtype)
        state = {"square_avg": np.full(n, hyper["initial_scale"], dtype=dtype),
                 "grad_avg": np.zeros(n, dtype=dtype) if hyper["centered"] else empty,
                 "momentum_buffer": (np.zeros(n, dtype=dtype) if hyper["momentum"] > 0
                                     else empty)}
        return state

    def _configure(self):
        # The scalars that do not change from step to step are set once here.
        hyper = self._hyper
        hp = kernels.make_hp(self._params.dtype)
        rho = hyper["rho"]
        hp[HP.RHO] = rho
        hp[HP.ONE_MINUS_RHO] = 1.0 - rho  # rounded once, from float64
        hp[HP.EPS_IN if hyper["eps_in_sqrt"] else HP.EPS_OUT] = hyper["eps"]
        if not hyper["decoupled_weight_decay"]:
            hp[HP.WD] = hyper["weight_decay"]
        hp[HP.MU] = hyper["momentum"]
        hp[HP.NESTEROV] = hyper["nesterov"]
        hp[HP.SIGN] = -1.0 if hyper["maximize"] else 1.0
        if hyper["clip_value"] is not None:
            hp[HP.CLIP] = hyper["clip_value"]
        hp[HP.PROPAGATE] = hyper["nonfinite"] == "propagate"
        self._hp = hp
        self._centered = hyper["centered"]
        self._momentum = hyper["momentum"] > 0
        # What every step passes on, looked up once (a step at small n costs
        # about a microsecond, and each dict lookup or call counts).
        state = self._state
        self._loop_args = (state["square_avg"], state["grad_avg"],
                           state["momentum_buffer"], hp)
        self._scalars_per_step = (hyper["decoupled_weight_decay"]
                                  or hyper["bias_correction"]
                                  or hyper["clip_norm"] is not None)
        self._serial_loop = kernels.get_step_kernel(self._centered, self._momentum,
                                                    False)

    @property
    def state(self):
        """The state arrays in use, by name (live arrays)."""
        return {k: a for k, a in self._state.items() if a.size or k == "square_avg"}

    def _check_state(self, state):
        # v is a sum of rho-weighted squares: never negative (NaN and inf can
        # be real, after nonfinite='propagate'); a negative v would make
        # sqrt(v) NaN and silently freeze those elements.
        with np.errstate(invalid="ignore"):
            negative = np.count_nonzero(state["square_avg"] < 0)
        if negative:
            raise ValueError(f"state_dict['square_avg'] must be >= 0, got {negative} "
                             "negative element(s)")

    def _update(self, grad, lr, t):
        if self._scalars_per_step:
            self._prepare_step(grad, lr, t)
        else:
            self._hp[_LR] = lr
        params = self._params
        # The path is chosen per step (PARALLEL_THRESHOLD is read at call
        # time).  Below it the serial loop is called directly; above it,
        # rmsprop_step coordinates parallel regions (see adaopt._threading).
        if kernels.use_parallel(params.shape[0]):
            return kernels.rmsprop_step(params, grad, *self._loop_args,
                                        self._centered, self._momentum, True)
        return self._serial_loop(params, grad, *self._loop_args)

    def _per_step_scalars(self):
        """Whether ``hp`` changes from step to step (else one
        :meth:`_prepare_step` serves every step: adaopt.minimize's fast path)."""
        h = self._hyper
        return (self._schedule is not None or h["bias_correction"]
                or h["clip_norm"] is not None)

    def _prepare_step(self, grad, lr, t):
        """Set the scalars of step ``t`` in ``hp``: the part of a step outside the kernel."""
        hyper, hp = self._hyper, self._hp
        hp[HP.LR] = lr
        if hyper["decoupled_weight_decay"]:
            hp[HP.LR_WD] = lr * hyper["weight_decay"]
        if hyper["bias_correction"]:
            hp[HP.BIAS] = 1.0 / (1.0 - hyper["rho"] ** t)
        if hyper["clip_norm"] is not None:
            # One rule, overflow-safe, shared with the compiled loops
            # (adaopt.kernels.clip_scale): the same factor on every path.
            clip = math.inf if hyper["clip_value"] is None else hyper["clip_value"]
            hp[HP.SCALE] = kernels.clip_scale(grad, clip, hyper["clip_norm"])

    def _on_nonfinite(self, grad, t):
        if self._hyper["nonfinite"] == "raise":
            nbad = grad.size - int(np.count_nonzero(np.isfinite(grad)))
            what = (f"{nbad} non-finite gradient element(s)" if nbad else
                    "a non-finite update (overflow in the second moment or the step)")
            raise NonFiniteUpdateError(
                f"step {t} met {what}; those elements and their state were left "
                "unchanged, the others took the step. Pass nonfinite='skip' to "
                "carry on silently.")
