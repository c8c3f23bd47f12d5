"""Faults during long runs: exceptions, interrupts, checkpoints, resuming.

The promise (docs/reliability.rst): nothing the user has is lost.  A step
either happens whole or not at all; an exception from user code reaches
the user with the iterate so far recoverable; a checkpoint taken with
``state_dict`` and ``np.savez`` resumes in a new process on exactly the
trajectory the uninterrupted run takes.
"""

import signal

import numpy as np
import pytest

import adaopt
from adaopt import schedules, status
from reliability_tools import child_env, run_child


def rosen(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


X0 = np.array([-1.2, 1.0, 0.5])
OPTIONS = dict(lr=0.01, momentum=0.5, centered=True)


def test_objective_raising_mid_run_keeps_the_iterate_through_the_callback():
    """The documented recipe: keep the last ``intermediate_result``.

    The exception reaches the caller unchanged; the last result the
    callback saw is the run with ``maxiter`` = the iterations completed.
    """
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] == 40:
            raise RuntimeError("disk full")
        return rosen(x)

    last = {}

    def keep(intermediate_result):
        last["result"] = intermediate_result

    x0 = X0.copy()
    with pytest.raises(RuntimeError, match="disk full"):
        adaopt.minimize(fun, x0, jac=rosen_grad, callback=keep, options=OPTIONS)
    np.testing.assert_array_equal(x0, X0)
    got = last["result"]
    # the iterations that completed before the failing evaluation
    ref = adaopt.minimize(rosen, X0, jac=rosen_grad,
                          options=dict(OPTIONS, maxiter=got.nit))
    assert 0 < got.nit < 40
    np.testing.assert_array_equal(got.x, ref.x)
    assert got.fun == ref.fun


def test_sigint_in_minimize_returns_the_work_done():
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] == 25:
            signal.raise_signal(signal.SIGINT)   # a real Ctrl-C
        return rosen(x)

    res = adaopt.minimize(fun, X0, jac=rosen_grad, options=OPTIONS)
    assert res.status == status.INTERRUPTED and not res.success
    ref = adaopt.minimize(rosen, X0, jac=rosen_grad, options=dict(OPTIONS, maxiter=res.nit))
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun


def test_sigint_in_a_training_loop_loses_no_step():
    """A Ctrl-C lands between steps (a step is one compiled call that Python
    cannot interrupt); the loop resumes where it stopped and ends where an
    uninterrupted loop ends."""
    def train(x, opt, steps, interrupt_at=None):
        for t in range(opt.step_count, steps):
            if t == interrupt_at:
                signal.raise_signal(signal.SIGINT)
            opt.step(rosen_grad(x))

    xa = X0.copy()
    a = adaopt.RMSprop(xa, lr=0.01, momentum=0.9, centered=True)
    with pytest.raises(KeyboardInterrupt):
        train(xa, a, 50, interrupt_at=20)
    assert a.step_count == 20
    xb = X0.copy()
    b = adaopt.RMSprop(xb, lr=0.01, momentum=0.9, centered=True)
    train(xb, b, 20)
    np.testing.assert_array_equal(xa, xb)
    train(xa, a, 50)
    train(xb, b, 50)
    np.testing.assert_array_equal(xa, xb)


def test_interrupt_inside_the_schedule_leaves_the_step_undone():
    # the schedule runs before the kernel: an exception there changes nothing
    def schedule(t):
        if t == 3:
            raise KeyboardInterrupt
        return 0.1

    x = X0.copy()
    opt = adaopt.RMSprop(x, lr_schedule=schedule, momentum=0.5)
    opt.step(rosen_grad(x))
    opt.step(rosen_grad(x))
    before, state = x.copy(), opt.state_dict()
    with pytest.raises(KeyboardInterrupt):
        opt.step(rosen_grad(x))
    np.testing.assert_array_equal(x, before)
    assert opt.step_count == 2
    for name in ("square_avg", "momentum_buffer"):
        np.testing.assert_array_equal(opt.state[name], state[name])


RESUME = """
    import numpy as np
    import adaopt
    from test_reliability_faults import HYPER, grad_at, make_schedule

    ckpt = np.load(@CKPT@)
    x = ckpt["params"].copy()
    opt = adaopt.RMSprop(x, lr_schedule=make_schedule(), **HYPER)
    opt.load_state_dict({k: ckpt[k] for k in ckpt.files if k != "params"})
    for _ in range(@MORE@):
        opt.step(grad_at(x, opt.step_count))
    np.save(@OUT@, x)
"""

HYPER = dict(rho=0.95, momentum=0.9, nesterov=True, centered=True, bias_correction=True,
             weight_decay=1e-3, decoupled_weight_decay=True, clip_norm=5.0)


def make_schedule():
    # code, not state: recreated by the resuming process
    return schedules.cosine_decay(0.01, 100)


def grad_at(x, t):
    """A stochastic-looking but reproducible gradient of step t."""
    rng = np.random.default_rng(t)
    return (2 * x + rng.standard_normal(x.size)).astype(x.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_checkpoint_resumes_in_a_new_process_on_the_same_trajectory(dtype, tmp_path):
    first, more = 30, 40
    x = np.linspace(-2, 2, 7).astype(dtype)
    opt = adaopt.RMSprop(x, lr_schedule=make_schedule(), **HYPER)
    for _ in range(first):
        opt.step(grad_at(x, opt.step_count))
    ckpt = tmp_path / "ckpt.npz"
    np.savez(ckpt, params=x, **opt.state_dict())
    for _ in range(more):
        opt.step(grad_at(x, opt.step_count))
    out = tmp_path / "resumed.npy"
    code = (RESUME.replace("@CKPT@", repr(str(ckpt))).replace("@MORE@", str(more))
            .replace("@OUT@", repr(str(out))))
    run_child(code, env=child_env(session_cache=True))
    resumed = np.load(out)
    assert resumed.dtype == dtype
    np.testing.assert_array_equal(resumed, x)
