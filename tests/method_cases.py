"""What every method's reference test shares: the cases and the run.

Each ``tests/test_<method>.py`` holds its optimizer against a NumPy reference
of PyTorch's documented algorithm for every option set, in float64 and
float32, at a serial size and one above ``kernels.PARALLEL_THRESHOLD`` (the
prange build; float32 there at the defaults only, see
:func:`checks_parallel`); :func:`reference_cases` lists those cases and
:func:`run_steps` takes the steps, from the same seeded start and gradients
for every method, on the loop the size takes (:func:`forced_loop`).
"""

import contextlib

import numpy as np
import pytest

from adaopt import _background_compile, kernels

#: The parallel size: just above the threshold, so the prange build runs.
PARALLEL_N = kernels.PARALLEL_THRESHOLD + 5


@contextlib.contextmanager
def forced_loop(parallel):
    """Force every step inside the block onto the serial or the parallel loop.

    ``kernels.use_parallel`` reads ``PARALLEL_THRESHOLD`` at call time, so
    setting it to 0 sends every vector to the ``prange`` build and setting it
    above any size keeps every vector on the serial build.  The same switch
    picks the build of the ``clip_norm`` sum of squares.  Forced onto the
    parallel loop, an optimizer's first steps do not take the serial one
    while the parallel one compiles (adaopt._background_compile): the block
    is there to test the parallel build.  (The ``kernel_path`` fixture.)
    """
    saved = kernels.PARALLEL_THRESHOLD, _background_compile.enabled
    kernels.PARALLEL_THRESHOLD = 0 if parallel else 2**62
    _background_compile.enabled = not parallel
    try:
        yield
    finally:
        kernels.PARALLEL_THRESHOLD, _background_compile.enabled = saved


def checks_parallel(dtype, options):
    """Whether a reference case at a parallel size runs the prange build too.

    Every float64 case; float32 at the defaults only (``options`` setting
    nothing but ``lr``).
    Each such case compiles the prange build of its flavour, bodies and
    dtype (5-10 s cold on 2 cores): the float32 builds of the other options
    are the same source as the float64 ones, and their float32 arithmetic is
    checked on the serial build.
    """
    return np.dtype(dtype) == np.float64 or not set(options) - {"lr"}


def reference_cases(options_list, serial_n=37):
    """``pytest.param(options, dtype, n)`` for each option set, dtype and size.

    Every option set in float64 and float32 at ``serial_n``, and at
    ``PARALLEL_N`` those :func:`checks_parallel` names.
    """
    for n in (serial_n, PARALLEL_N):
        for dtype in (np.float64, np.float32):
            for options in options_list:
                if n == PARALLEL_N and not checks_parallel(dtype, options):
                    continue
                yield pytest.param(options, dtype, n, id=f"{n}-{np.dtype(dtype).name}-"
                                   + ("-".join(options) or "plain"))


def run_steps(optimizer_class, options, dtype, n, steps=65):
    """Take ``steps`` steps of ``optimizer_class(x, **options)`` from a seeded start,
    every one on the loop ``n`` takes (:func:`forced_loop`: from the first
    step, not once a background compile ends).

    Returns ``(theta0, grads, x, opt)``: the start, the gradients (normal,
    times 3, of ``dtype``), the parameters after the steps and the optimizer.
    """
    rng = np.random.default_rng(n)
    theta0 = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) * 3 for _ in range(steps)]
    x = theta0.copy()
    opt = optimizer_class(x, **options)
    with forced_loop(kernels.use_parallel(n)):
        for g in grads:
            opt.step(g)
    return theta0, grads, x, opt


def assert_steps_match(theta0, x, opt, dtype, want, states):
    """``x`` and the optimizer's state against the reference after 65 steps.

    ``want`` is the reference's parameters, ``states`` its state arrays by
    PyTorch's names, in the order the optimizer holds them.  float64 to
    1e-12; float32 to the 65 roundings of theta (|theta| ~ 1, 6e-8 each).
    The steps must have moved theta by more than the tolerance, so that the
    check has teeth.
    """
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-4, 1e-5)
    np.testing.assert_allclose(x, want, rtol=rtol, atol=atol)
    for name, ref in states.items():
        np.testing.assert_allclose(opt.state[name], ref, rtol=rtol, atol=atol, err_msg=name)
        assert opt.state[name].dtype == dtype
    assert x.dtype == dtype
    assert list(opt.state) == list(states) and opt.step_count == 65
    assert np.abs(x - theta0).max() > 100 * atol


def resumed_run(optimizer_class, options, split=10, steps=20, dtype=np.float64, n=5):
    """Run ``steps`` steps, checkpointing after ``split``; resume a fresh
    optimizer from the checkpoint and check it ends with the same bits.

    Returns the checkpoint, for the caller's checks of what it holds.
    """
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(steps)]
    x = np.ones(n, dtype=dtype)
    opt = optimizer_class(x, **options)
    for g in grads[:split]:
        opt.step(g)
    sd, x_mid = opt.state_dict(), x.copy()
    for g in grads[split:]:
        opt.step(g)
    y = x_mid.copy()
    again = optimizer_class(y)
    again.load_state_dict(sd)
    for g in grads[split:]:
        again.step(g)
    np.testing.assert_array_equal(y, x)
    assert list(again.state) == list(opt.state)
    for name in opt.state:
        np.testing.assert_array_equal(again.state[name], opt.state[name])
    assert sd["optimizer"] == optimizer_class.__name__ and sd["step"] == split
    return sd
