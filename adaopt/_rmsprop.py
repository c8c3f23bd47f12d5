r"""The RMSprop method described once (see :mod:`adaopt._method`).

The defaults, the validation, the state arrays and the preparation of the
kernel's scalars of every RMSprop front end are here and nowhere else; the
per-element arithmetic is the fused loop of :mod:`adaopt.kernels`.
"""

import math

from . import kernels
from ._method import (COMMON_OPTIONS, FINITE, Hyperparameter, Method, Requirement, StateArray,
                      fill_frame)
from .kernels import HP, Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["RMSPROP"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 1e-3, low=0.0, **FINITE),
    Hyperparameter("rho", 0.9, low=0.0, high=1.0, high_open=True),
    Hyperparameter("eps", 1e-8, low=0.0, **FINITE),
    # minimize's policy: heavy-ball momentum with the bold driver converges
    # where a plain step crawls (docs/guide/minimize.rst, "The default policy")
    Hyperparameter("momentum", 0.0, low=0.0, minimize_default=0.9, **FINITE),
    Hyperparameter("nesterov", False, "bool"),
    Hyperparameter("centered", False, "bool"),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("decoupled_weight_decay", False, "bool"),
    Hyperparameter("maximize", False, "bool"),
    Hyperparameter("eps_in_sqrt", False, "bool"),
    Hyperparameter("bias_correction", False, "bool"),
    Hyperparameter("initial_scale", 0.0, low=0.0, **FINITE),
    *COMMON_OPTIONS,
)


def _nesterov_needs_momentum(nesterov, momentum):
    return (not nesterov) or momentum > 0.0


REQUIREMENTS = (
    Requirement(("nesterov", "momentum"), _nesterov_needs_momentum,
                "nesterov=True needs momentum > 0", ", got momentum={momentum!r}"),
)

STATE = (
    StateArray("square_avg", initial="initial_scale", nonnegative=True),   # v
    StateArray("grad_avg", when="centered"),                              # m
    StateArray("momentum_buffer", when="momentum"),                       # b
)


def fixed_scalars(hp, cfg):
    """Fill the RMSprop table ``hp`` (:class:`adaopt.kernels.HP`) from ``cfg``.

    Everything that stays the same from step to step; the per-step slots
    (LR, LR_WD, BIAS, SCALE) get their values of a constant rate at step 1
    with no clipping, and :func:`step_scalars` overwrites them.
    """
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY] if cfg[C.DECOUPLED_WEIGHT_DECAY] == 0.0 else 0.0,
               cfg[C.NONFINITE])
    hp[Frame.LR] = cfg[C.LR]
    rho = cfg[C.RHO]
    hp[HP.RHO] = rho
    hp[HP.ONE_MINUS_RHO] = 1.0 - rho       # rounded once, from float64
    if cfg[C.EPS_IN_SQRT] != 0.0:
        hp[HP.EPS_IN] = cfg[C.EPS]
    else:
        hp[HP.EPS_OUT] = cfg[C.EPS]
    hp[HP.MU] = cfg[C.MOMENTUM]
    hp[HP.NESTEROV] = cfg[C.NESTEROV]
    hp[HP.BIAS] = 1.0


def per_step(cfg):
    """Whether a step's scalars depend on more than its rate."""
    return (cfg[C.DECOUPLED_WEIGHT_DECAY] != 0.0 or cfg[C.BIAS_CORRECTION] != 0.0
            or cfg[C.CLIP_NORM] < math.inf)


def step_scalars(hp, cfg, g, lr, t):
    """Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``."""
    hp[Frame.LR] = lr
    if cfg[C.DECOUPLED_WEIGHT_DECAY] != 0.0:
        hp[Frame.LR_WD] = lr * cfg[C.WEIGHT_DECAY]
    if cfg[C.BIAS_CORRECTION] != 0.0:
        # math.pow is C's pow(), as Python's float ** int; Numba's ** with an
        # integer exponent multiplies by squaring and can round differently.
        hp[HP.BIAS] = 1.0 / (1.0 - math.pow(cfg[C.RHO], float(t)))
    if cfg[C.CLIP_NORM] < math.inf:
        # one rule, overflow-safe (adaopt.kernels): the same factor everywhere
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def plain_varies(cfg):
    """Whether a step's table tests differently from the fixed one: the bias
    correction's factor (1 in the fixed table) is another at each step."""
    return cfg[C.BIAS_CORRECTION] != 0.0


def _kernel(flavour, parallel):
    _, centered, momentum = flavour
    return kernels.get_step_kernel(centered, momentum, parallel)


RMSPROP = Method(
    name="rmsprop", title="RMSprop", hyperparameters=HYPERPARAMETERS,
    requirements=REQUIREMENTS, state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=kernels.HP_SIZE,
    kernel=_kernel, plain_varies=plain_varies)

#: The settings' slots (``C.RHO`` is the slot of ``rho`` in ``cfg``).
C = RMSPROP.Cfg
