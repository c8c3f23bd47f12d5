r"""The Adadelta method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.Adadelta`` arguments and defaults (Zeiler 2012),
with adaopt's clipping and non-finite handling; the per-element arithmetic
is the fused loop of :mod:`adaopt._adadelta_kernels`.
"""

import math

from . import _adadelta_kernels
from ._adadelta_kernels import HP
from ._method import COMMON_OPTIONS, FINITE, Hyperparameter, Method, StateArray, fill_frame
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["ADADELTA"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 1.0, low=0.0, **FINITE),
    # PyTorch accepts rho = 1 (closed range): both averages then keep their
    # start, and every step is lr * g (sqrt(eps) / sqrt(eps))
    Hyperparameter("rho", 0.9, low=0.0, high=1.0),
    Hyperparameter("eps", 1e-6, low=0.0, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("maximize", False, "bool"),
    *COMMON_OPTIONS,
)

STATE = (
    StateArray("square_avg", nonnegative=True),   # v
    StateArray("acc_delta", nonnegative=True),    # u
)


def fixed_scalars(hp, cfg):
    """Fill the Adadelta table ``hp`` from ``cfg`` (the rate that of step 1)."""
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY], cfg[C.NONFINITE])
    hp[Frame.LR] = cfg[C.LR]
    rho = cfg[C.RHO]
    hp[HP.RHO] = rho
    hp[HP.ONE_MINUS_RHO] = 1.0 - rho       # rounded once, from float64
    hp[HP.EPS] = cfg[C.EPS]


def per_step(cfg):
    """Whether a step's scalars depend on more than its rate: only a clip
    norm does (Adadelta has no bias correction)."""
    return cfg[C.CLIP_NORM] < math.inf


def step_scalars(hp, cfg, g, lr, t):
    """Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``."""
    hp[Frame.LR] = lr
    if cfg[C.CLIP_NORM] < math.inf:
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def _kernel(flavour, parallel):
    return _adadelta_kernels.get_step_kernel(parallel)


ADADELTA = Method(
    name="adadelta", title="Adadelta", hyperparameters=HYPERPARAMETERS,
    requirements=(), state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=_adadelta_kernels.HP_SIZE,
    kernel=_kernel)

#: The settings' slots (``C.RHO`` is the slot of ``rho`` in ``cfg``).
C = ADADELTA.Cfg
