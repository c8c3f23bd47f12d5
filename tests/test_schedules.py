"""adaopt.schedules: values against their closed forms, warmup composition,
repr, argument checks, and the schedules driving RMSprop's learning rate."""

import math

import numpy as np
import pytest

import adaopt
from adaopt import schedules

T = np.arange(1, 201)


def values(schedule, ts=T):
    return np.array([schedule(int(t)) for t in ts])


def test_constant():
    np.testing.assert_array_equal(values(schedules.constant(0.25)), 0.25)


@pytest.mark.parametrize("rate, steps", [(0.5, 1), (0.9, 10), (1.0, 3)])
def test_exponential_decay_closed_form(rate, steps):
    s = schedules.exponential_decay(0.2, rate, decay_steps=steps)
    np.testing.assert_allclose(values(s), 0.2 * rate ** ((T - 1) / steps), rtol=1e-14)
    assert s(1) == 0.2
    assert s(1 + steps) == pytest.approx(0.2 * rate, rel=1e-15)
    stair = schedules.exponential_decay(0.2, rate, decay_steps=steps, staircase=True)
    np.testing.assert_allclose(values(stair), 0.2 * rate ** ((T - 1) // steps),
                               rtol=1e-14)


def test_step_decay_closed_form():
    s = schedules.step_decay(0.1, step_size=3, gamma=0.5)
    assert [s(t) for t in range(1, 11)] == [0.1] * 3 + [0.05] * 3 + [0.025] * 3 \
        + [0.0125]
    np.testing.assert_allclose(values(s), 0.1 * 0.5 ** ((T - 1) // 3), rtol=1e-15)


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_cosine_decay_closed_form(alpha):
    steps = 50
    s = schedules.cosine_decay(0.3, decay_steps=steps, alpha=alpha)
    frac = np.minimum(T - 1, steps) / steps
    want = 0.3 * (alpha + (1 - alpha) * 0.5 * (1 + np.cos(np.pi * frac)))
    np.testing.assert_allclose(values(s), want, rtol=1e-14, atol=1e-17)
    assert s(1) == pytest.approx(0.3, rel=1e-15)
    assert s(1 + steps // 2) == pytest.approx(0.3 * (alpha + (1 - alpha) / 2), rel=1e-14)
    assert s(1 + steps) == pytest.approx(0.3 * alpha, abs=1e-17)
    assert s(1000) == s(1 + steps)                      # stays at the floor
    assert np.all(np.diff(values(s)) <= 0)              # never rises


@pytest.mark.parametrize("init_lr", [0.0, 0.01])
def test_linear_warmup_ramps_then_hands_over(init_lr):
    after = schedules.exponential_decay(0.1, 0.5, decay_steps=4)
    w = 8
    s = schedules.linear_warmup(after, warmup_steps=w, init_lr=init_lr)
    ramp = [s(t) for t in range(1, w + 1)]
    np.testing.assert_allclose(ramp, init_lr + (0.1 - init_lr) * np.arange(1, w + 1) / w,
                               rtol=1e-15)
    assert s(w) == pytest.approx(0.1, rel=1e-15)        # the ramp ends at the peak
    # from step w + 1 on, the wrapped schedule runs from its own step 1
    for k in range(1, 30):
        assert s(w + k) == after(k)


def test_linear_warmup_of_a_constant_and_nested():
    s = schedules.linear_warmup(0.4, warmup_steps=4)
    assert [s(t) for t in range(1, 7)] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
    assert isinstance(s.after, schedules.constant)
    inner = schedules.linear_warmup(schedules.cosine_decay(1.0, 10), warmup_steps=2)
    outer = schedules.linear_warmup(inner, warmup_steps=3)
    # the outer ramp climbs to inner(1) = 0.5, then inner runs from its step 1
    assert [outer(t) for t in (1, 2, 3)] == pytest.approx([0.5 / 3, 1.0 / 3, 0.5])
    assert [outer(3 + k) for k in range(1, 15)] == [inner(k) for k in range(1, 15)]


def test_any_callable_works_as_a_schedule():
    x = np.zeros(1)
    opt = adaopt.RMSprop(x, lr_schedule=lambda t: 0.01 * t, rho=0.0, eps=0.0)
    for t in range(1, 5):
        assert opt.lr == 0.01 * t
        before = x[0]
        opt.step(np.array([2.0]))
        # rho = 0 and eps = 0: each step moves by exactly lr * sign(g)
        assert before - x[0] == pytest.approx(0.01 * t, rel=1e-14)


def test_schedule_drives_rmsprop_lr():
    s = schedules.linear_warmup(schedules.cosine_decay(0.05, decay_steps=20), 5)
    x = np.zeros(2, dtype=np.float32)
    opt = adaopt.RMSprop(x, lr_schedule=s)
    lrs = []
    for _ in range(30):
        lrs.append(opt.lr)
        opt.step(np.ones(2, dtype=np.float32))
    assert lrs == [s(t) for t in range(1, 31)]
    assert opt.lr == s(31)


def test_repr():
    assert repr(schedules.constant(0.1)) == "constant(lr=0.1)"
    assert repr(schedules.exponential_decay(0.1, 0.5, 10, staircase=True)) == \
        "exponential_decay(lr=0.1, decay_rate=0.5, decay_steps=10, staircase=True)"
    assert repr(schedules.step_decay(0.1, 5)) == \
        "step_decay(lr=0.1, step_size=5, gamma=0.1)"
    assert repr(schedules.cosine_decay(0.1, 100, alpha=0.01)) == \
        "cosine_decay(lr=0.1, decay_steps=100, alpha=0.01)"
    assert repr(schedules.linear_warmup(schedules.constant(0.2), 3)) == \
        "linear_warmup(after=constant(lr=0.2), warmup_steps=3, init_lr=0.0)"


def test_numpy_integers_are_step_counts():
    s = schedules.cosine_decay(0.1, decay_steps=np.int64(10))
    assert s.decay_steps == 10 and type(s.decay_steps) is int
    assert s(11) == schedules.cosine_decay(0.1, 10)(11)


BAD = [
    (lambda: schedules.constant(-0.1), ValueError, "lr"),
    (lambda: schedules.constant(math.nan), ValueError, "lr"),
    (lambda: schedules.constant("0.1"), TypeError, "lr"),
    (lambda: schedules.exponential_decay(0.1, 0.0), ValueError, "decay_rate"),
    (lambda: schedules.exponential_decay(0.1, 1.5), ValueError, "decay_rate"),
    (lambda: schedules.exponential_decay(0.1, 0.5, decay_steps=0), ValueError,
     "decay_steps"),
    (lambda: schedules.exponential_decay(0.1, 0.5, decay_steps=2.5), TypeError,
     "decay_steps"),
    (lambda: schedules.exponential_decay(0.1, 0.5, decay_steps=True), TypeError,
     "decay_steps"),
    (lambda: schedules.exponential_decay(0.1, 0.5, staircase="no"), TypeError,
     "staircase"),
    (lambda: schedules.step_decay(0.1, step_size=0), ValueError, "step_size"),
    (lambda: schedules.step_decay(0.1, step_size="3"), TypeError, "step_size"),
    (lambda: schedules.step_decay(0.1, 3, gamma=0.0), ValueError, "gamma"),
    (lambda: schedules.step_decay(0.1, 3, gamma=2.0), ValueError, "gamma"),
    (lambda: schedules.cosine_decay(0.1, 0), ValueError, "decay_steps"),
    (lambda: schedules.cosine_decay(0.1, 10, alpha=-0.1), ValueError, "alpha"),
    (lambda: schedules.cosine_decay(0.1, 10, alpha=1.1), ValueError, "alpha"),
    (lambda: schedules.linear_warmup(0.1, 0), ValueError, "warmup_steps"),
    (lambda: schedules.linear_warmup(0.1, 5, init_lr=-1.0), ValueError, "init_lr"),
    (lambda: schedules.linear_warmup("x", 5), TypeError, "after"),
    (lambda: schedules.linear_warmup(-0.1, 5), ValueError, "lr"),
]


@pytest.mark.parametrize("make, error, name", BAD, ids=[b[2] + str(i) for i, b in
                                                         enumerate(BAD)])
def test_bad_arguments_raise_naming_them(make, error, name):
    with pytest.raises(error, match=name):
        make()
