"""A run compiles only the bodies of the step loop its settings can take.

Every step loop has two bodies, chosen per call by the method's
``is_plain(hp)``: the plain one (no maximize, clipping or coupled decay, and
the method's own neutral scalars) and the general one.  A run whose settings
decide that choice for every step compiles one of them
(:meth:`adaopt._method.Method.kernel_bodies`), a third less compile time.
Held here: the decision is exactly what the steps' tables ask for, over 65
steps of every reference option set of every method; a one-body build gives
the bits of the two-body build; the plain build refuses a table that is not
plain instead of stepping without the options.
"""

import numpy as np
import pytest

from adaopt import kernels
from adaopt._optimizers import OPTIMIZERS

import test_adadelta
import test_adagrad
import test_adam
import test_adamax
import test_nadam
import test_radam
import test_reference
import test_sgd

#: The reference tests' option sets, by method (AdamW's are Adam's, its
#: decoupled decay fixed).
OPTION_SETS = {
    "rmsprop": test_reference.SINGLE_OPTIONS,
    "adam": test_adam.OPTIONS,
    "adamw": [{k: v for k, v in o.items() if k != "decoupled_weight_decay"}
              for o in test_adam.OPTIONS],
    "adagrad": test_adagrad.OPTIONS,
    "sgd": test_sgd.OPTIONS,
    "adamax": test_adamax.OPTIONS,
    "adadelta": test_adadelta.OPTIONS,
    "radam": test_radam.OPTIONS,
    "nadam": test_nadam.OPTIONS,
}

CASES = [pytest.param(name, options, id=f"{name}-{'-'.join(options) or 'plain'}")
         for name, sets in OPTION_SETS.items() for options in sets]


def test_every_method_has_its_option_sets():
    assert set(OPTION_SETS) == set(OPTIMIZERS)


def _steps_plain(method, cfg, dtype, lr, steps=65):
    """Whether the loop takes its plain body at each of ``steps`` steps, from
    the tables the optimizer's steps build (as NumPy code: nothing compiles)."""
    loop = method.kernel(method.flavour(cfg), False)
    hp = np.empty(method.hp_size, dtype=dtype)
    method.fixed_scalars(hp, cfg)
    step_scalars = method._step_scalars
    g = np.ones(3, dtype=dtype)
    plain = set()
    for t in range(1, steps + 1):
        if method.per_step(cfg):
            step_scalars(hp, cfg, g, lr, t)
        plain.add(kernels.is_plain_at(loop, hp))
    return plain


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, options", CASES)
def test_the_settings_decide_the_bodies_the_steps_take(name, options, dtype):
    method = OPTIMIZERS[name].method
    given = {k: v for k, v in options.items() if k != "lr_schedule"}
    cfg = method.settings(method.check(given))
    bodies = method.kernel_bodies(cfg)
    # the clip-norm factor is 1 for a gradient inside the ball, not outside:
    # with the other options neutral either body may run at any step
    clips = method.clips_norm(cfg)
    unclipped = {k: v for k, v in given.items() if k != "clip_norm"}
    plain = _steps_plain(method, method.settings(method.check(unclipped)), dtype,
                         given.get("lr", method.defaults["lr"]))
    if plain == {True}:
        assert bodies == ("both" if clips else "plain")
    else:
        # an option on for the run, or a step scalar (RMSprop's bias
        # correction, eps_root) that makes every step's table general
        assert plain == {False} and bodies == "general"


def test_the_decisions_of_named_settings():
    """Defaults run the plain body alone; an option that is on for the whole
    run, or a step scalar that is never neutral, the general one; the
    clip-norm factor, which is neutral at some steps and not others, both."""
    rmsprop = OPTIMIZERS["rmsprop"].method
    adam = OPTIMIZERS["adam"].method

    def bodies(method, **given):
        return method.kernel_bodies(method.settings(method.check(given)))

    assert bodies(rmsprop) == bodies(adam) == "plain"
    for option in (dict(maximize=True), dict(weight_decay=0.1), dict(clip_value=1.0)):
        assert bodies(rmsprop, **option) == bodies(adam, **option) == "general"
    # decoupled decay is outside the gradient: the plain body applies it
    assert bodies(adam, weight_decay=0.1, decoupled_weight_decay=True) == "plain"
    assert bodies(rmsprop, clip_norm=1.0) == bodies(adam, clip_norm=1.0) == "both"
    assert bodies(rmsprop, bias_correction=True) == "general"
    assert bodies(adam, eps_root=1e-8) == "general"


def _run(method, bodies, given, n=37, steps=5):
    """``x`` after ``steps`` steps of the serial loop carrying ``bodies``
    (float64), with the tables of the settings ``given``."""
    cfg = method.settings(method.check(given))
    flavour = method.flavour(cfg)
    loop = method.kernel(flavour, False, bodies)
    hp = np.empty(method.hp_size)
    method.fixed_scalars(hp, cfg)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(n)
    S = np.empty((sum(flavour), n))
    S[...] = method.initial_state(cfg, flavour)[:, None]
    for t in range(1, steps + 1):
        g = rng.standard_normal(n) * 3
        if method.per_step(cfg):
            method._step_scalars(hp, cfg, g, 0.01, t)
        loop(x, g, S, hp)
    return x


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_general_body_alone_gives_the_plain_bodys_bits(name):
    """Where the plain body applies the general one computes the same step,
    so that a run may take it at every step (``kernel_bodies``)."""
    method = OPTIMIZERS[name].method
    plain = _run(method, "plain", {})
    assert _run(method, "general", {}).tobytes() == plain.tobytes()
    # and a non-neutral option changes the step
    assert not np.array_equal(_run(method, "general", {"maximize": True}), plain)


def test_a_one_body_build_gives_the_bits_of_both():
    """Each body alone is the same code as in the two-body loop."""
    method = OPTIMIZERS["rmsprop"].method
    for given, bodies in (({}, "plain"), ({"maximize": True}, "general")):
        one = _run(method, bodies, given)
        assert _run(method, "both", given).tobytes() == one.tobytes(), bodies


def test_the_plain_build_refuses_a_table_that_is_not_plain():
    method = OPTIMIZERS["rmsprop"].method
    cfg = method.settings(method.check({"maximize": True}))
    hp = np.empty(method.hp_size)
    method.fixed_scalars(hp, cfg)
    loop = method.kernel(method.flavour(cfg), False, "plain")
    x = np.ones(4)
    with pytest.raises(ValueError, match="plain body alone"):
        loop(x, np.ones(4), np.zeros((1, 4)), hp)
    assert x.tobytes() == np.ones(4).tobytes()


def test_bodies_name_one_of_three():
    loop = OPTIMIZERS["rmsprop"].method.kernel((True, False, False), False)
    with pytest.raises(ValueError, match="bodies must be one of"):
        kernels.with_bodies(loop, "neither")
    assert kernels.with_bodies(loop, "both") is loop
    assert kernels.with_bodies(loop, "plain") is kernels.with_bodies(loop, "plain")


def test_the_njit_entry_decides_the_bodies_from_the_types():
    """Settings the types fix (omitted, or literal) decide as minimize's do;
    a value known only at run time keeps both bodies."""
    from numba import types

    from adaopt._njit_entry import kernel_bodies

    method = OPTIMIZERS["rmsprop"].method
    omitted = {h.name: types.Omitted(h.default_in_minimize)
               for h in method.hyperparameters if h.in_minimize and not h.fixed}
    assert kernel_bodies(method, dict(omitted, lr=types.float64)) == "plain"
    assert kernel_bodies(method, dict(omitted, maximize=types.BooleanLiteral(True))) == "general"
    assert kernel_bodies(method, dict(omitted, maximize=types.boolean)) == "both"
    assert kernel_bodies(method, dict(omitted, weight_decay=types.float64)) == "both"
    # a bad constant is left to the call's own checks
    assert kernel_bodies(method, dict(omitted, momentum=types.IntegerLiteral(-1))) == "both"
