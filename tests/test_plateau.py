"""ReduceLROnPlateau against a plain reference of PyTorch's documented rule.

The reference below is ``torch.optim.lr_scheduler.ReduceLROnPlateau``'s
``step``, ``is_better`` and ``_reduce_lr`` written out as PyTorch writes them
(one parameter group); adaopt's rule (adaopt._plateau) must give the same
learning rate after every step, to the bit, for every mode, threshold mode,
cooldown, min_lr and eps, in Python and compiled with Numba (the form a
compiled loop would run).
"""

import math

import numba
import numpy as np
import pytest

import adaopt
from adaopt import _plateau
from adaopt.schedules import ReduceLROnPlateau
from reference import TorchPlateau


def _losses(seed, mode):
    """A noisy loss that improves, stalls and jumps (with a NaN): every branch."""
    rng = np.random.default_rng(seed)
    t = np.arange(300)
    loss = 1.0 / (1.0 + 0.05 * t) + 0.02 * rng.standard_normal(300)
    loss[120:180] = loss[120]                # a plateau
    loss[200] = np.nan
    return -loss if mode == "max" else loss


CASES = [
    dict(),
    dict(mode="max"),
    dict(threshold_mode="abs", threshold=1e-3),
    dict(mode="max", threshold_mode="abs", threshold=0.01, patience=3),
    dict(patience=2, cooldown=5, factor=0.5),
    dict(patience=0, factor=0.5, min_lr=1e-3),
    dict(patience=1, factor=0.9, eps=1e-2),
]

_compiled_step = numba.njit(_plateau.plateau_step)


@pytest.mark.parametrize("options", CASES,
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_same_learning_rates_as_pytorchs_rule(options):
    ref = TorchPlateau(0.1, **options)
    opt = adaopt.RMSprop(np.zeros(3), lr=0.1)
    plateau = ReduceLROnPlateau(opt, **options)
    state, setting = plateau._state.copy(), plateau._setting
    lr_compiled = 0.1
    reductions = 0
    for k, loss in enumerate(_losses(7, options.get("mode", "min"))):
        before = ref.lr
        ref.step(loss)
        plateau.step(loss)
        lr_compiled = _compiled_step(state, setting, loss, lr_compiled)
        reductions += ref.lr != before
        assert opt.lr == ref.lr == lr_compiled, (k, opt.lr, ref.lr, lr_compiled)
        assert (plateau.num_bad_epochs, plateau.cooldown_counter, plateau.last_epoch) \
            == (ref.num_bad_epochs, ref.cooldown_counter, ref.last_epoch)
        assert plateau.best == ref.best
    if "eps" in options:      # every reduction is smaller than eps: none is made
        assert reductions == 0 and plateau.cooldown_counter >= 0
    else:
        assert reductions >= 1                # the rule did act
    assert plateau.get_last_lr() == [ref.lr]


def test_reduces_after_patience_and_waits_out_the_cooldown():
    opt = adaopt.RMSprop(np.zeros(2), lr=1.0)
    plateau = ReduceLROnPlateau(opt, patience=2, cooldown=2, factor=0.5)
    lrs = []
    for loss in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]:
        plateau.step(loss)
        lrs.append(opt.lr)
    # bad steps 1, 2, 3 > patience -> 0.5; two cooldown steps; then 1, 2, 3 again
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    plateau.step(0.5)
    assert plateau.num_bad_epochs == 1


def test_resumes_from_its_state_dict():
    opt_a, opt_b = (adaopt.RMSprop(np.zeros(2), lr=0.1) for _ in range(2))
    a = ReduceLROnPlateau(opt_a, patience=3)
    losses = _losses(3, "min")
    for loss in losses[:150]:
        a.step(loss)
    b = ReduceLROnPlateau(opt_b, patience=3)
    b.load_state_dict(a.state_dict())
    opt_b.lr = opt_a.lr
    for loss in losses[150:]:
        a.step(loss)
        b.step(loss)
        assert opt_a.lr == opt_b.lr
    assert a.state_dict() == b.state_dict()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(factor=1.0), ValueError, "factor must be < 1.0"),
    (dict(factor=-0.1), ValueError, "factor"),
    (dict(mode="low"), ValueError, "mode must be one of"),
    (dict(threshold_mode="relative"), ValueError, "threshold_mode must be one of"),
    (dict(patience=-1), ValueError, "patience must be an integer >= 0"),
    (dict(patience=1.5), ValueError, "patience"),
    (dict(cooldown=True), ValueError, "cooldown"),
    (dict(min_lr=-1.0), ValueError, "min_lr"),
    (dict(eps=float("nan")), ValueError, "eps"),
    (dict(threshold="1e-4"), TypeError, "threshold"),
])
def test_bad_arguments_name_themselves(kwargs, error, match):
    opt = adaopt.RMSprop(np.zeros(2), lr=0.1)
    with pytest.raises(error, match=match):
        ReduceLROnPlateau(opt, **kwargs)
    assert opt.lr == 0.1


def test_refuses_an_optimizer_with_a_schedule_and_a_bad_metric():
    opt = adaopt.RMSprop(np.zeros(2), lr_schedule=adaopt.schedules.constant(0.1))
    with pytest.raises(ValueError, match="lr_schedule"):
        ReduceLROnPlateau(opt)
    plateau = ReduceLROnPlateau(adaopt.RMSprop(np.zeros(2), lr=0.1))
    with pytest.raises(TypeError, match="metric must be a real number"):
        plateau.step("0.5")
    assert plateau.last_epoch == 0
    plateau.step(np.array(0.5))                 # a 0-d array (a framework's loss)
    assert plateau.best == 0.5
