"""adaopt._background_compile: a parallel build compiles on a thread while
the serial one runs, and a failed compilation surfaces in the caller."""

import json

import numba
import numpy as np
import pytest

import adaopt
from adaopt import _background_compile, kernels

from reliability_tools import child_env, run_child


def test_a_build_compiles_in_the_background_and_is_then_ready():
    @numba.njit
    def twice(x):
        return 2.0 * x

    args = (np.ones(3, np.float32),)
    assert not _background_compile.built(twice, args)
    _background_compile.compile_in_background(twice, args)
    _background_compile.compile_in_background(twice, args)   # once
    _background_compile.wait()
    assert twice.signatures == [(numba.float32[::1],)]
    assert _background_compile.built(twice, args)
    # another dtype is another build
    assert not _background_compile.built(twice, (np.ones(3),))
    _background_compile.compile_in_background(twice, (np.ones(3),))
    _background_compile.wait()
    assert len(twice.signatures) == 2


def test_a_failed_compilation_raises_in_the_callers_own_call():
    @numba.njit
    def broken(x):
        return x.no_such_attribute

    args = (np.ones(3),)
    _background_compile.compile_in_background(broken, args)
    _background_compile.wait()
    # not retried in the background: the caller's call compiles and raises
    assert _background_compile.built(broken, args)
    with pytest.raises(numba.core.errors.TypingError):
        broken(*args)


def test_long_vector_steps_take_the_parallel_build_once_it_is_there(kernel_path):
    # float64 only: the builds are keyed by dtype (the first test), and the
    # float64 prange build of Adam with clip_norm is test_adam's too (a
    # float32 one would be a 10 s compile of this test's own)
    dtype = np.float64
    n = kernels.PARALLEL_THRESHOLD + 11
    rng = np.random.default_rng(3)
    x0, grads = rng.standard_normal(n).astype(dtype), rng.standard_normal((4, n)).astype(dtype)
    # clip_norm: the step's preparation has a parallel build too
    x, y = x0.copy(), x0.copy()
    opt = adaopt.Adam(x, lr=0.01, clip_norm=1.0)
    ref = adaopt.Adam(y, lr=0.01, clip_norm=1.0)
    with kernel_path(False):     # the reference stays serial
        for g in grads[:2]:
            ref.step(g)
    for g in grads[:2]:
        opt.step(g)
    _background_compile.wait()
    opt.step(grads[2])
    assert opt._parallel_ready
    with kernel_path(False):
        ref.step(grads[2])
    opt.step(grads[3])
    with kernel_path(False):
        ref.step(grads[3])
    # the same bits whichever build took each step
    np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(opt.state["exp_avg_sq"], ref.state["exp_avg_sq"])


def test_a_fork_while_a_build_compiles_waits_for_it_and_the_child_steps(tmp_path):
    # a child process with an empty cache, background compilation on: its
    # first long step starts the parallel build on a thread, then a fork
    # pool's workers step the same vector (a fork in the middle of a
    # compilation would inherit Numba's compiler lock, held)
    code = """
        import json, multiprocessing as mp
        import numpy as np
        import adaopt
        from adaopt import _background_compile, kernels

        def steps(n):
            x = np.linspace(-1.0, 1.0, n)
            opt = adaopt.RMSprop(x, lr=0.01)
            for _ in range(3):
                opt.step(2.0 * x)
            return x

        n = kernels.PARALLEL_THRESHOLD + 7
        here = steps(n)
        pending = any(t is not None for t in _background_compile._builds.values())
        with mp.get_context("fork").Pool(2) as pool:
            there = pool.map(steps, [n, n])
        print(json.dumps({"pending": pending,
                          "same": all(np.array_equal(here, x) for x in there)}))
    """
    env = child_env(NUMBA_CACHE_DIR=tmp_path / "cache", ADAOPT_BACKGROUND_COMPILE=1)
    report = json.loads(run_child(code, env=env, timeout=240).stdout.splitlines()[-1])
    assert report == {"pending": True, "same": True}
