r"""The Adagrad method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.Adagrad`` arguments and defaults (Duchi, Hazan &
Singer 2011), with adaopt's clipping and non-finite handling; the
per-element arithmetic is the fused loop of :mod:`adaopt._adagrad_kernels`.
"""

import math

from . import _adagrad_kernels
from ._adagrad_kernels import HP
from ._method import COMMON_OPTIONS, FINITE, Hyperparameter, Method, StateArray, fill_frame
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["ADAGRAD"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 1e-2, low=0.0, **FINITE),
    Hyperparameter("lr_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("initial_accumulator_value", 0.0, low=0.0, **FINITE),
    Hyperparameter("eps", 1e-10, low=0.0, **FINITE),
    Hyperparameter("maximize", False, "bool"),
    # optax's and Keras' placement of eps (docs/compatibility.rst)
    Hyperparameter("eps_in_sqrt", False, "bool"),
    *COMMON_OPTIONS,
)

STATE = (
    StateArray("sum", initial="initial_accumulator_value", nonnegative=True),   # s
)


def fixed_scalars(hp, cfg):
    """Fill the Adagrad table ``hp`` from ``cfg`` (the rate that of step 1)."""
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY], cfg[C.NONFINITE])
    hp[Frame.LR] = cfg[C.LR]
    if cfg[C.EPS_IN_SQRT] != 0.0:
        hp[HP.EPS_IN] = cfg[C.EPS]
    else:
        hp[HP.EPS_OUT] = cfg[C.EPS]


def per_step(cfg):
    """Whether a step's scalars depend on more than its rate."""
    return cfg[C.LR_DECAY] != 0.0 or cfg[C.CLIP_NORM] < math.inf


def step_scalars(hp, cfg, g, lr, t):
    """Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``."""
    # PyTorch's clr, a float64 before it meets the parameters' dtype (exactly
    # lr when lr_decay is 0)
    hp[Frame.LR] = lr / (1.0 + (t - 1) * cfg[C.LR_DECAY])
    if cfg[C.CLIP_NORM] < math.inf:
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def _kernel(flavour, parallel):
    return _adagrad_kernels.get_step_kernel(parallel)


ADAGRAD = Method(
    name="adagrad", title="Adagrad", hyperparameters=HYPERPARAMETERS,
    requirements=(), state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=_adagrad_kernels.HP_SIZE,
    kernel=_kernel)

#: The settings' slots (``C.LR_DECAY`` is the slot of ``lr_decay`` in ``cfg``).
C = ADAGRAD.Cfg
