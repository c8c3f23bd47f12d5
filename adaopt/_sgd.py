r"""The SGD method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.SGD`` arguments and defaults (momentum and
dampening as PyTorch has them; Nesterov momentum as in Sutskever et al.
2013), with adaopt's clipping and non-finite handling; the per-element
arithmetic is the fused loop of :mod:`adaopt._sgd_kernels`.
"""

import math

from . import _sgd_kernels
from ._method import (COMMON_OPTIONS, FINITE, Hyperparameter, Method, Requirement,
                      StateArray, fill_frame)
from ._sgd_kernels import HP
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["SGD_METHOD"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 1e-3, low=0.0, **FINITE),
    Hyperparameter("momentum", 0.0, low=0.0, **FINITE),
    Hyperparameter("dampening", 0.0, low=-math.inf, low_open=True, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("nesterov", False, "bool"),
    Hyperparameter("maximize", False, "bool"),
    *COMMON_OPTIONS,
)


def _nesterov_needs_momentum_without_dampening(nesterov, momentum, dampening):
    return (not nesterov) or (momentum > 0.0 and dampening == 0.0)


REQUIREMENTS = (
    Requirement(("nesterov", "momentum", "dampening"),
                _nesterov_needs_momentum_without_dampening,
                "Nesterov momentum requires a momentum and zero dampening",
                ", got momentum={momentum!r}, dampening={dampening!r}"),
)

STATE = (
    StateArray("momentum_buffer", when="momentum"),                 # b
)


def fixed_scalars(hp, cfg):
    """Fill the SGD table ``hp`` from ``cfg`` (the per-step slots at step 1)."""
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY], cfg[C.NONFINITE])
    hp[Frame.LR] = cfg[C.LR]
    hp[HP.MU] = cfg[C.MOMENTUM]
    hp[HP.ONE_MINUS_DAMPENING] = 1.0 - cfg[C.DAMPENING]    # rounded once, from float64
    hp[HP.NESTEROV] = cfg[C.NESTEROV]
    hp[HP.FIRST] = 1.0


def per_step(cfg):
    """Whether a step's scalars depend on more than its rate: with momentum
    step 1 differs from the others, and a clip norm depends on ``g``."""
    return cfg[C.MOMENTUM] != 0.0 or cfg[C.CLIP_NORM] < math.inf


def step_scalars(hp, cfg, g, lr, t):
    """Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``."""
    hp[Frame.LR] = lr
    # PyTorch starts the buffer at g when it has none: at step 1 (a
    # checkpoint carries the step count, so a resumed run goes on at t > 1)
    hp[HP.FIRST] = 1.0 if t == 1 else 0.0
    if cfg[C.CLIP_NORM] < math.inf:
        hp[Frame.SCALE] = clip_scale(g, cfg[C.CLIP_VALUE], cfg[C.CLIP_NORM])


def _kernel(flavour, parallel):
    return _sgd_kernels.get_step_kernel(flavour[0], parallel)


#: Named apart from the optimizer class adaopt.SGD, which has the title.
SGD_METHOD = Method(
    name="sgd", title="SGD", hyperparameters=HYPERPARAMETERS,
    requirements=REQUIREMENTS, state=STATE, fixed_scalars=fixed_scalars,
    step_scalars=step_scalars, per_step=per_step, hp_size=_sgd_kernels.HP_SIZE,
    kernel=_kernel)

#: The settings' slots (``C.MOMENTUM`` is the slot of ``momentum`` in ``cfg``).
C = SGD_METHOD.Cfg
