"""adaopt.Optimizer / adaopt.RMSprop as an object: non-finite gradients,
checkpoints, argument checking, the learning rate, repr and identity.

Values are checked against the NumPy reference (tests/reference.py) or
against an uninterrupted run of adaopt itself, never against constants typed
in by hand.
"""

import math

import numpy as np
import pytest

import adaopt
from adaopt import NonFiniteUpdateError, schedules
from reference import ReferenceRMSprop

DTYPES = (np.float32, np.float64)


def snapshot(opt):
    """Everything a failed call must leave alone: bytes of params and state,
    the step count, the hyperparameters and the learning rate."""
    return (opt.params.tobytes(),
            {k: a.tobytes() for k, a in opt.state.items()},
            opt.step_count, opt.hyperparameters, opt._lr)


def trained(dtype=np.float64, n=9, steps=5, **options):
    """An optimizer a few steps into a run, with a fresh gradient source."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(n).astype(dtype)
    opt = adaopt.RMSprop(x, **options)
    for _ in range(steps):
        opt.step(rng.standard_normal(n).astype(dtype))
    return opt


def reference_at(opt, **options):
    """A NumPy reference holding the optimizer's current params and state."""
    ref = ReferenceRMSprop(opt.params, **options)
    for name, arr in opt.state.items():
        attr = {"square_avg": "v", "grad_avg": "m", "momentum_buffer": "b"}[name]
        setattr(ref, attr, arr.copy())
    ref.t = opt.step_count
    return ref


# -- non-finite gradients -------------------------------------------------------

BAD = {1: np.nan, 4: np.inf, 6: -np.inf}


def _bad_grad(dtype, n=8, seed=5):
    g = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    for i, value in BAD.items():
        g[i] = value
    return g


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [{}, {"momentum": 0.9, "centered": True},
                                     {"clip_norm": 0.5, "weight_decay": 0.1}])
def test_raise_keeps_bad_elements_and_steps_the_others(dtype, options):
    opt = trained(dtype, n=8, lr=0.05, **options)
    ref = reference_at(opt, lr=0.05, **options)
    before = snapshot(opt)
    g = _bad_grad(dtype)
    with pytest.raises(NonFiniteUpdateError, match="3 non-finite gradient element"):
        opt.step(g)
    with np.errstate(invalid="ignore"):
        kept = ref.step(g)
    bad = np.zeros(8, dtype=bool)
    bad[list(BAD)] = True
    np.testing.assert_array_equal(kept, bad)
    params0 = np.frombuffer(before[0], dtype=dtype)
    # the bad elements and their state are untouched ...
    np.testing.assert_array_equal(opt.params[bad], params0[bad])
    for name, arr in opt.state.items():
        np.testing.assert_array_equal(arr[bad],
                                      np.frombuffer(before[1][name], dtype=dtype)[bad])
    # ... the others took exactly the reference's step (clip_norm ignores the
    # bad elements when it measures the norm)
    assert np.all(opt.params[~bad] != params0[~bad])
    np.testing.assert_array_equal(opt.params, ref.theta)
    np.testing.assert_array_equal(opt.state["square_avg"], ref.v)
    assert opt.step_count == before[2] + 1      # the step happened


@pytest.mark.parametrize("dtype", DTYPES)
def test_skip_is_silent_and_equals_raise(dtype):
    a = trained(dtype, n=8, lr=0.05, momentum=0.5)
    b = trained(dtype, n=8, lr=0.05, momentum=0.5, nonfinite="skip")
    g = _bad_grad(dtype)
    with pytest.raises(NonFiniteUpdateError):
        a.step(g)
    b.step(g)                                    # no exception
    assert a.params.tobytes() == b.params.tobytes()
    for name in a.state:
        assert a.state[name].tobytes() == b.state[name].tobytes()
    assert not np.isnan(b.params).any()


def test_raise_on_overflowing_update_keeps_element():
    # g finite, but (1 - rho) g^2 overflows float32: v would become inf
    x = np.array([1.0, 2.0], dtype=np.float32)
    opt = adaopt.RMSprop(x, lr=0.1)
    g = np.array([1e30, 1.0], dtype=np.float32)
    with pytest.raises(NonFiniteUpdateError, match="non-finite update"):
        opt.step(g)
    assert x[0] == np.float32(1.0) and opt.state["square_avg"][0] == 0
    assert x[1] != np.float32(2.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_propagate_writes_nan_like_pytorch(dtype):
    opt = trained(dtype, n=8, lr=0.05, nonfinite="propagate")
    ref = reference_at(opt, lr=0.05, nonfinite="propagate")
    g = _bad_grad(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        opt.step(g)                              # no exception
        ref.step(g)
    x, v = opt.params, opt.state["square_avg"]
    # NaN gradient: NaN everywhere; inf gradient: v = inf, u = inf / inf = NaN
    assert np.isnan(x[1]) and np.isnan(v[1])
    assert np.isnan(x[4]) and np.isnan(x[6])
    assert v[4] == np.inf and v[6] == np.inf
    good = np.setdiff1d(np.arange(8), list(BAD))
    assert np.isfinite(x[good]).all()
    np.testing.assert_array_equal(x, ref.theta)   # NaN where the reference has NaN
    np.testing.assert_array_equal(v, ref.v)


# -- checkpoints ----------------------------------------------------------------

COMBOS = [
    {},
    {"momentum": 0.9, "nesterov": True, "centered": True},
    {"clip_norm": 1.0, "clip_value": 0.3, "bias_correction": True,
     "weight_decay": 0.01, "decoupled_weight_decay": True, "eps_in_sqrt": True},
    {"maximize": True, "initial_scale": 0.5, "momentum": 0.3, "nonfinite": "skip",
     "rho": 0.99, "eps": 1e-6},
]


def _grads(dtype, n, steps, seed=11):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(n).astype(dtype) for _ in range(steps)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", COMBOS)
@pytest.mark.parametrize("through_file", [False, True])
def test_checkpoint_resumes_bit_identically(tmp_path, dtype, options, through_file):
    n, steps, cut = 37, 40, 17
    grads = _grads(dtype, n, steps)
    x0 = np.linspace(-2, 2, n).astype(dtype)
    sched = schedules.exponential_decay(0.05, 0.9, decay_steps=5)

    whole = x0.copy()
    full = adaopt.RMSprop(whole, lr_schedule=sched, **options)
    for g in grads:
        full.step(g)

    first = x0.copy()
    opt = adaopt.RMSprop(first, lr_schedule=sched, **options)
    for g in grads[:cut]:
        opt.step(g)
    sd = opt.state_dict()
    saved_params = first.copy()
    if through_file:
        np.savez(tmp_path / "ckpt.npz", **sd)
        np.save(tmp_path / "params.npy", saved_params)   # params travel apart
        sd, saved_params = np.load(tmp_path / "ckpt.npz"), np.load(tmp_path / "params.npy")

    resumed = saved_params.copy()
    # a fresh optimizer with default hyperparameters: the checkpoint sets them
    again = adaopt.RMSprop(resumed, lr_schedule=sched)
    again.load_state_dict(sd)
    assert again.step_count == cut
    assert again.hyperparameters == opt.hyperparameters
    for g in grads[cut:]:
        again.step(g)
    assert resumed.tobytes() == whole.tobytes()
    assert again.state.keys() == full.state.keys()
    for name in full.state:
        assert again.state[name].tobytes() == full.state[name].tobytes(), name
    assert again.step_count == full.step_count == steps


def test_state_dict_is_a_copy_and_lists_used_state_only():
    opt = trained(momentum=0.9)
    sd = opt.state_dict()
    assert sd["optimizer"] == "RMSprop" and sd["step"] == 5
    assert "momentum_buffer" in sd and "grad_avg" not in sd
    assert "clip_norm" not in sd                 # None hyperparameters left out
    v = opt.state["square_avg"].copy()
    sd["square_avg"][:] = -1.0
    np.testing.assert_array_equal(opt.state["square_avg"], v)
    opt.step(np.ones(9))
    assert sd["step"] == 5 and (sd["square_avg"] == -1.0).all()
    assert not np.shares_memory(sd["momentum_buffer"], opt.state["momentum_buffer"])
    # and the loaded state does not alias the dict it came from
    sd = opt.state_dict()
    other = trained(momentum=0.9)
    other.load_state_dict(sd)
    sd["square_avg"][:] = 7.0
    assert not (other.state["square_avg"] == 7.0).any()


def _bad_state_dicts():
    opt = trained(momentum=0.9)
    good = opt.state_dict()

    def edit(**changes):
        sd = dict(good)
        for key, value in changes.items():
            if value is KeyError:
                del sd[key]
            else:
                sd[key] = value
        return sd

    n = good["square_avg"].size
    return [
        ("optimizer", ValueError, edit(optimizer="Adam")),
        ("unknown keys", ValueError, edit(betas=0.9)),
        ("step", ValueError, edit(step=KeyError)),
        ("step", ValueError, edit(step=-1)),
        ("step", ValueError, edit(step=2.5)),
        ("step", ValueError, edit(step=True)),
        ("lr", ValueError, edit(lr=-0.1)),
        ("lr", TypeError, edit(lr="fast")),
        ("rho", ValueError, edit(rho=1.0)),
        ("momentum", TypeError, edit(momentum="abc")),
        ("centered", TypeError, edit(centered=np.array([1, 2]))),
        ("nonfinite", ValueError, edit(nonfinite="ignore")),
        ("nesterov", ValueError, edit(nesterov=True, momentum=0.0)),
        ("momentum_buffer", ValueError, edit(momentum_buffer=KeyError)),
        ("grad_avg", ValueError, edit(centered=True)),
        ("square_avg", ValueError, edit(square_avg=np.zeros(n + 1))),
        ("square_avg", ValueError, edit(square_avg=np.zeros(n, dtype=np.float32))),
        ("square_avg", ValueError, edit(square_avg=np.zeros(n, dtype=np.int64))),
        ("square_avg", ValueError, edit(square_avg=np.full(n, -1.0))),
        ("grad_avg", ValueError, edit(grad_avg=np.zeros(n))),    # not centered
    ]


@pytest.mark.parametrize("name, error, sd", _bad_state_dicts(),
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(_bad_state_dicts())])
def test_bad_state_dict_raises_before_changing_anything(name, error, sd):
    opt = trained(momentum=0.9, lr=0.02, steps=3)
    before = snapshot(opt)
    with pytest.raises(error, match=name):
        opt.load_state_dict(sd)
    assert snapshot(opt) == before
    opt.step(np.ones(9))                         # and it still works
    assert opt.step_count == 4


# -- argument checking ----------------------------------------------------------

HYPER_CASES = [
    ("lr", -1e-3, ValueError), ("lr", math.nan, ValueError),
    ("lr", math.inf, ValueError), ("lr", "0.1", TypeError), ("lr", True, TypeError),
    ("lr", None, TypeError), ("lr", 1j, TypeError), ("lr", 10**400, ValueError),
    ("rho", -0.1, ValueError), ("rho", 1.0, ValueError), ("rho", 1.5, ValueError),
    ("rho", math.nan, ValueError), ("rho", "x", TypeError),
    ("eps", -1e-8, ValueError), ("eps", math.inf, ValueError),
    ("eps", math.nan, ValueError),
    ("momentum", -0.5, ValueError), ("momentum", math.inf, ValueError),
    ("nesterov", 1, TypeError), ("centered", "yes", TypeError),
    ("weight_decay", -1.0, ValueError), ("weight_decay", math.nan, ValueError),
    ("decoupled_weight_decay", 1, TypeError), ("maximize", None, TypeError),
    ("eps_in_sqrt", 0, TypeError), ("bias_correction", "True", TypeError),
    ("initial_scale", -1.0, ValueError), ("initial_scale", math.inf, ValueError),
    ("clip_value", 0.0, ValueError), ("clip_value", -1.0, ValueError),
    ("clip_value", math.inf, ValueError), ("clip_value", "1", TypeError),
    ("clip_norm", 0.0, ValueError), ("clip_norm", -2.0, ValueError),
    ("clip_norm", math.nan, ValueError),
    ("nonfinite", "ignore", ValueError), ("nonfinite", None, ValueError),
    ("lr_schedule", 0.1, TypeError),
]


@pytest.mark.parametrize("name, value, error", HYPER_CASES,
                         ids=[f"{c[0]}={c[1]!r}"[:30] for c in HYPER_CASES])
def test_bad_hyperparameter_raises_naming_it(name, value, error):
    x = np.ones(4)
    with pytest.raises(error, match=name) as info:
        adaopt.RMSprop(x, **{name: value})
    if name != "lr_schedule":
        message = str(info.value)
        assert repr(value) in message or "NaN" in message or "401 digits" in message
    np.testing.assert_array_equal(x, 1.0)


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match="nesterov.*momentum"):
        adaopt.RMSprop(np.ones(3), nesterov=True)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="alpha"):
        adaopt.RMSprop(np.ones(3), alpha=0.99)


def _readonly(a):
    a.flags.writeable = False
    return a


PARAMS_CASES = [
    ("list", [1.0, 2.0], TypeError),
    ("int64", np.arange(3), TypeError),
    ("float16", np.ones(3, dtype=np.float16), TypeError),
    ("complex", np.ones(3, dtype=complex), TypeError),
    ("2-D", np.ones((2, 3)), ValueError),
    ("0-d", np.array(1.0), ValueError),
    ("strided", np.ones(6)[::2], ValueError),
    ("read-only", _readonly(np.ones(3)), ValueError),
    ("empty", np.ones(0), ValueError),
]


@pytest.mark.parametrize("what, params, error", PARAMS_CASES,
                         ids=[c[0] for c in PARAMS_CASES])
def test_bad_params_raise_naming_params(what, params, error):
    with pytest.raises(error, match="params"):
        adaopt.RMSprop(params)


def _grad_cases():
    return [
        ("list", lambda x: [0.5] * x.size, TypeError),
        ("float32 for float64", lambda x: np.ones(x.size, dtype=np.float32), TypeError),
        ("int", lambda x: np.ones(x.size, dtype=np.int64), TypeError),
        ("longer", lambda x: np.ones(x.size + 1), ValueError),
        ("shorter", lambda x: np.ones(x.size - 1), ValueError),
        ("2-D", lambda x: np.ones((x.size, 1)), ValueError),
        ("strided", lambda x: np.ones(2 * x.size)[::2], ValueError),
        ("params itself", lambda x: x, ValueError),
        ("view of params", lambda x: x[:], ValueError),
    ]


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("options", [{}, {"clip_norm": 1.0, "momentum": 0.5}])
@pytest.mark.parametrize("what, make, error", _grad_cases(),
                         ids=[c[0] for c in _grad_cases()])
def test_bad_grad_raises_before_changing_anything(kernel_path, what, make, error,
                                                  options, parallel):
    opt = trained(lr=0.1, **options)
    before = snapshot(opt)
    with kernel_path(parallel), pytest.raises(error, match="grad"):
        opt.step(make(opt.params))
    assert snapshot(opt) == before


def test_grad_overlapping_params_in_a_bigger_buffer_is_rejected():
    buf = np.ones(20)
    x = buf[0:10]
    opt = adaopt.RMSprop(x, lr=0.1)
    with pytest.raises(ValueError, match="grad"):
        opt.step(buf[5:15])
    np.testing.assert_array_equal(buf, 1.0)
    opt.step(np.ones(20)[5:15])                  # a different buffer is fine
    assert opt.step_count == 1


@pytest.mark.parametrize("bad, error", [(-0.1, ValueError), (math.nan, ValueError),
                                        (math.inf, ValueError), ("0.1", TypeError),
                                        (None, TypeError), (10**400, ValueError)])
def test_schedule_returning_bad_lr_raises_at_that_step(bad, error):
    sched = lambda t: 0.01 if t < 3 else bad   # noqa: E731
    opt = trained(lr_schedule=sched, steps=2, momentum=0.5)
    before = snapshot(opt)
    with pytest.raises(error, match=r"lr_schedule.*t=3"):
        opt.step(np.ones(9))
    assert snapshot(opt) == before


@pytest.mark.parametrize("bad, error", [(-0.1, ValueError), (math.nan, ValueError),
                                        (math.inf, ValueError), ("0.1", TypeError)])
def test_lr_table_names_the_first_bad_step_as_a_step_would(bad, error):
    # the compiled driver tabulates a schedule in bulk (Optimizer._lr_table)
    sched = lambda t: 0.01 if t < 7 else bad   # noqa: E731
    opt = adaopt.RMSprop(np.ones(3), lr_schedule=sched)
    np.testing.assert_array_equal(opt._lr_table(1, 7), np.full(6, 0.01))
    with pytest.raises(error, match=r"lr_schedule.*t=7"):
        opt._lr_table(3, 12)


@pytest.mark.parametrize("sched", [
    schedules.cosine_decay(0.1, decay_steps=50, alpha=0.1),
    schedules.linear_warmup(schedules.exponential_decay(0.1, 0.5, 7), 10),
    lambda t: np.float32(1.0 / t),          # not a float: checked step by step
    lambda t: 1 if t % 2 else 0.5,          # an int among floats
])
def test_lr_table_equals_the_rates_of_each_step(sched):
    opt = adaopt.RMSprop(np.ones(3), lr_schedule=sched)
    table = opt._lr_table(5, 80)
    assert table.dtype == np.float64
    np.testing.assert_array_equal(table, [opt._lr_at(t) for t in range(5, 80)])
    assert adaopt.RMSprop(np.ones(3), lr=0.25)._lr_table(1, 4).tolist() == [0.25] * 3


# -- learning rate, schedules, repr, identity -----------------------------------

def test_lr_property_and_setter():
    x = np.zeros(2)
    opt = adaopt.RMSprop(x, lr=0.1)
    assert opt.lr == 0.1
    opt.lr = 0.02
    assert opt.lr == 0.02
    opt.step(np.array([1.0, -1.0]))
    # the first step moves each element by lr * g / (sqrt(0.1 g^2) + eps)
    np.testing.assert_allclose(x, [-0.02 / (math.sqrt(0.1) + 1e-8),
                                   0.02 / (math.sqrt(0.1) + 1e-8)], rtol=1e-15)
    for bad, error in [(-1.0, ValueError), ("a", TypeError), (math.nan, ValueError)]:
        with pytest.raises(error, match="lr"):
            opt.lr = bad
    assert opt.lr == 0.02


def test_schedule_drives_lr_and_blocks_the_setter():
    sched = schedules.step_decay(0.1, step_size=2, gamma=0.5)
    x = np.zeros(1)
    opt = adaopt.RMSprop(x, lr_schedule=sched, rho=0.0, eps=0.0)
    seen = []
    for _ in range(5):
        seen.append(opt.lr)
        before = x[0]
        opt.step(np.array([1.0]))
        # rho = 0, eps = 0: every step moves by exactly lr
        assert before - x[0] == pytest.approx(seen[-1], rel=1e-15)
    assert seen == [sched(t) for t in range(1, 6)] == [0.1, 0.1, 0.05, 0.05, 0.025]
    with pytest.raises(AttributeError, match="lr_schedule"):
        opt.lr = 0.3
    opt.lr_schedule = None                       # back to the constant lr
    assert opt.lr == 1e-3
    with pytest.raises(TypeError, match="lr_schedule"):
        opt.lr_schedule = 5


def test_repr_names_what_differs_from_defaults():
    x = np.zeros(3, dtype=np.float32)
    opt = adaopt.RMSprop(x, lr=0.1, momentum=0.9, centered=True)
    assert repr(opt) == ("RMSprop(n=3, dtype=float32, lr=0.1, momentum=0.9, "
                         "centered=True, step_count=0)")
    opt.step(np.ones(3, dtype=np.float32))
    assert repr(opt).endswith("step_count=1)")
    sched = schedules.constant(0.5)
    assert repr(adaopt.RMSprop(np.ones(2), lr_schedule=sched)) == \
        "RMSprop(n=2, dtype=float64, lr_schedule=constant(lr=0.5), step_count=0)"


@pytest.mark.parametrize("dtype", DTYPES)
def test_params_updated_in_place_and_dtype_kept(dtype):
    x = np.ones(5, dtype=dtype)
    opt = adaopt.RMSprop(x, lr=0.1, momentum=0.9, centered=True)
    assert opt.params is x
    for k in range(3):
        opt.step(np.full(5, k + 1.0, dtype=dtype))
        assert opt.params is x and opt.step_count == k + 1
    assert (x < 1).all()
    assert x.dtype == dtype
    for arr in opt.state.values():
        assert arr.dtype == dtype and arr.shape == (5,)
    assert set(opt.state) == {"square_avg", "grad_avg", "momentum_buffer"}
    assert set(adaopt.RMSprop(np.ones(2)).state) == {"square_avg"}


def test_grad_is_not_modified_and_hyperparameters_are_a_copy():
    g = np.array([1.0, -2.0, 3.0])
    g0 = g.copy()
    opt = adaopt.RMSprop(np.zeros(3), clip_value=0.5, maximize=True, weight_decay=0.1)
    opt.step(g)
    np.testing.assert_array_equal(g, g0)
    h = opt.hyperparameters
    h["rho"] = 0.0
    assert opt.hyperparameters["rho"] == 0.9


def test_numpy_scalar_and_0d_array_hyperparameters_are_their_values():
    """The learning-rate forms PyTorch users pass (a 0-d tensor becomes a
    0-d array): a NumPy scalar or a 0-d array is its value, on the object
    and in minimize; a 1-element 1-D array or a boolean array stays an error."""
    grad = np.linspace(-1.0, 1.0, 7)
    steps = {}
    for name, lr in [("float", 0.05), ("np.float32", np.float32(0.05)),
                     ("0-d float64", np.array(0.05)), ("0-d float32", np.array(np.float32(0.05)))]:
        x = np.zeros(7)
        opt = adaopt.RMSprop(x, lr=lr, rho=np.array(0.9))
        for _ in range(3):
            opt.step(grad)
        steps[name] = x
    np.testing.assert_array_equal(steps["float"], steps["0-d float64"])
    np.testing.assert_array_equal(steps["np.float32"], steps["0-d float32"])
    res = adaopt.minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: 2 * x,
                          options=dict(lr=np.array(0.05), maxiter=5))
    ref = adaopt.minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: 2 * x,
                          options=dict(lr=0.05, maxiter=5))
    np.testing.assert_array_equal(res.x, ref.x)
    for bad in (np.array([0.05]), np.array(True)):
        with pytest.raises(TypeError, match="lr must be a real number"):
            adaopt.RMSprop(np.zeros(7), lr=bad)


def test_a_preparation_built_without_clip_norm_refuses_a_run_that_clips():
    # the build without the clip norm (what a run without clip_norm calls)
    # raises rather than return a wrong factor
    from adaopt._problem import METHODS
    method = METHODS["adam"]
    clipped = method.settings(method.check({"clip_norm": 1.0}))
    assert method.clips_norm(clipped)
    assert not method.clips_norm(method.settings(method.check({})))
    hp = np.empty(method.hp_size)
    method.fixed_scalars(hp, clipped)
    with pytest.raises(ValueError, match="without clip_norm"):
        method.step_scalars_build(False, clips=False)(hp, clipped, np.ones(3), 1e-3, 1)
