r"""The SGD method described once (see :mod:`adaopt._method`).

PyTorch's ``torch.optim.SGD`` arguments and defaults (momentum and
dampening as PyTorch has them; Nesterov momentum as in Sutskever et al.
2013), with adaopt's clipping and non-finite handling; ``lr_in_momentum``
is Keras 3's form, the rate inside the buffer.  The per-element
arithmetic is the fused loop of :mod:`adaopt._sgd_kernels`.
"""

import math

from numba.extending import overload

from . import _sgd_kernels
from ._method import (COMMON_OPTIONS, FINITE, Hyperparameter, Method, Requirement,
                      StateArray, fill_frame)
from ._sgd_kernels import HP
from .kernels import Frame, clip_scale_serial as clip_scale  # noqa: F401  (rebound)

__all__ = ["SGD_METHOD"]

HYPERPARAMETERS = (
    Hyperparameter("lr", 1e-3, low=0.0, **FINITE),
    # minimize's policy, as RMSprop's: heavy-ball momentum with the bold
    # driver (docs/guide/minimize.rst, "The default policy")
    Hyperparameter("momentum", 0.0, low=0.0, minimize_default=0.9, **FINITE),
    Hyperparameter("dampening", 0.0, low=-math.inf, low_open=True, **FINITE),
    Hyperparameter("weight_decay", 0.0, low=0.0, **FINITE),
    Hyperparameter("nesterov", False, "bool"),
    Hyperparameter("maximize", False, "bool"),
    # Keras 3's form: the rate inside the momentum buffer (docs/compatibility.rst)
    Hyperparameter("lr_in_momentum", False, "bool"),
    *COMMON_OPTIONS,
)


def _nesterov_needs_momentum_without_dampening(nesterov, momentum, dampening):
    return (not nesterov) or (momentum > 0.0 and dampening == 0.0)


def _lr_in_momentum_has_no_dampening(lr_in_momentum, dampening):
    return (not lr_in_momentum) or dampening == 0.0


REQUIREMENTS = (
    Requirement(("nesterov", "momentum", "dampening"),
                _nesterov_needs_momentum_without_dampening,
                "Nesterov momentum requires a momentum and zero dampening",
                ", got momentum={momentum!r}, dampening={dampening!r}"),
    # Keras has no dampening: no library's update to reproduce
    Requirement(("lr_in_momentum", "dampening"), _lr_in_momentum_has_no_dampening,
                "lr_in_momentum (Keras' form) takes no dampening",
                ", got dampening={dampening!r}"),
)

STATE = (
    StateArray("momentum_buffer", when="momentum"),                 # b
)


def fixed_scalars(hp, cfg):
    """Fill the SGD table ``hp`` from ``cfg`` (the per-step slots at step 1)."""
    fill_frame(hp, cfg[C.MAXIMIZE], cfg[C.CLIP_VALUE],
               cfg[C.WEIGHT_DECAY], cfg[C.NONFINITE])
    hp[HP.MU] = cfg[C.MOMENTUM]
    hp[HP.G_IN_BUFFER] = 1.0 - cfg[C.DAMPENING]    # rounded once, from float64
    hp[HP.G_IN_NESTEROV] = 1.0
    hp[HP.NESTEROV] = cfg[C.NESTEROV]
    rate_slots(hp, cfg, cfg[C.LR], 1)


def rate_slots(hp, cfg, lr, t):
    """Put step ``t``'s rate ``lr`` where the loop takes it: after the buffer
    (PyTorch), or with ``lr_in_momentum`` and momentum into it (Keras)."""
    if cfg[C.LR_IN_MOMENTUM] != 0.0 and cfg[C.MOMENTUM] != 0.0:
        # b = mu b + lr g from b = 0 (Keras' m is -b, to the bit but for the
        # sign of a zero: rounding is symmetric), theta -= 1 * (b, or lr g + mu b)
        hp[Frame.LR] = 1.0
        hp[HP.G_IN_BUFFER] = lr
        hp[HP.G_IN_NESTEROV] = lr
        hp[HP.FIRST] = 0.0
    else:
        hp[Frame.LR] = lr
        # PyTorch starts the buffer at g when it has none: at step 1 (a
        # checkpoint carries the step count, so a resumed run goes on at t > 1)
        hp[HP.FIRST] = 1.0 if t == 1 else 0.0


# nopython code calling rate_slots compiles the same source
@overload(rate_slots)
def _rate_slots_nopython(hp, cfg, lr, t):
    return rate_slots


def per_step(cfg):
    """Whether a step's scalars depend on more than its rate: with momentum
    step 1 differs from the others (with ``lr_in_momentum`` the rate takes
    three slots), and a clip norm depends on ``g``."""
    return cfg[C.MOMENTUM] != 0.0 or cfg[C.CLIP_NORM] < math.inf


def step_scalars(hp, cfg, g, lr, t):
    """Set the scalars of step ``t`` with rate ``lr`` and gradient ``g`` in ``hp``."""
    rate_slots(hp, cfg, lr, t)
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
