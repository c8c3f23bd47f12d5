r"""The Adamax method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.Adamax`` arguments and defaults (Kingma & Ba 2015,
section 7.1), with adaopt's clipping and non-finite handling; the
per-element arithmetic is the fused loop of :mod:`adaopt._adamax_kernels`.
"""

import math

from . import _adamax_kernels
from ._adamax_kernels import HP
from ._method import COMMON_OPTIONS, FINITE, Hyperparameter, Method, StateArray, fill_frame
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["ADAMAX"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 2e-3, low=0.0, **FINITE),
    Hyperparameter("betas", (0.9, 0.999), "pair", low=0.0, high=1.0, high_open=True,
                   components=("beta1", "beta2")),
    Hyperparameter("eps", 1e-8, low=0.0, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("maximize", False, "bool"),
    *COMMON_OPTIONS,
)

STATE = (
    StateArray("exp_avg"),                       # m
    StateArray("exp_inf", nonnegative=True),     # u
)


def fixed_scalars(hp, cfg):
    """Fill the Adamax table ``hp`` from ``cfg`` (the rate that of step 1)."""
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY], cfg[C.NONFINITE])
    b1 = cfg[C.BETA1]
    hp[Frame.LR] = cfg[C.LR] / (1.0 - b1)
    hp[HP.BETA1] = b1
    hp[HP.ONE_MINUS_BETA1] = 1.0 - b1     # rounded once, from float64
    hp[HP.BETA2] = cfg[C.BETA2]
    hp[HP.EPS] = cfg[C.EPS]


def per_step(cfg):
    """Always: the bias correction changes with every step."""
    return True


def step_scalars(hp, cfg, g, lr, t):
    """Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``."""
    # PyTorch's clr = lr / (1 - beta1**t), a float64 before it meets the
    # parameters' dtype; math.pow is C's pow(), as Python's float ** int
    hp[Frame.LR] = lr / (1.0 - math.pow(cfg[C.BETA1], float(t)))
    if cfg[C.CLIP_NORM] < math.inf:
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def _kernel(flavour, parallel):
    return _adamax_kernels.get_step_kernel(parallel)


ADAMAX = Method(
    name="adamax", title="Adamax", hyperparameters=HYPERPARAMETERS,
    requirements=(), state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=_adamax_kernels.HP_SIZE,
    kernel=_kernel)

#: The settings' slots (``C.BETA1`` is the slot of ``betas[0]`` in ``cfg``).
C = ADAMAX.Cfg
