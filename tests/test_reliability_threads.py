"""Several Python threads stepping at once, under every Numba threading layer.

Each experiment runs in a child process (see ``reliability_tools``): the
failure being guarded against is a process abort, which must fail a test,
not kill pytest.  The children step vectors just above
``PARALLEL_THRESHOLD``, so every step asks for the parallel kernel.
"""

import numba
import numpy as np
import pytest

from reliability_tools import CONFIGS, LAYERS, RUNS, child_env, last_json, run_child

THREADS = 6
STEPS = 60


THREADED_RUN = f"""
    import json, threading
    import numpy as np, numba
    from reliability_tools import RUNS

    out = {{}}
    barrier = threading.Barrier({THREADS})

    def work(seed):
        barrier.wait()          # all threads enter their first step together
        out[seed] = RUNS[@RUN@](seed, {STEPS})

    threads = [threading.Thread(target=work, args=(s,)) for s in range({THREADS})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.savez(@OUT@, **{{str(k): v for k, v in out.items()}})
    print(json.dumps({{"layer": numba.threading_layer()}}))
"""


@pytest.fixture(scope="module", params=sorted(RUNS))
def run(request):
    """What each thread runs: ``RMSprop.step`` loops or ``adaopt.minimize``."""
    return request.param


@pytest.fixture(scope="module")
def sequential(run):
    """The same trajectories run one after another in this process."""
    return {seed: RUNS[run](seed, STEPS) for seed in range(THREADS)}


def test_layers_detected():
    # workqueue ships with Numba; without it these tests would test nothing
    assert "workqueue" in LAYERS


#: The layer Numba picks when nobody chooses: the first loadable one in its
#: priority order (what a plain install gets; omp on Linux with libgomp).
DEFAULT_LAYER = next(layer for layer in numba.config.THREADING_LAYER_PRIORITY
                     if layer in LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_threads_at_once_like_one_after_another(layer, run, sequential, tmp_path):
    out = tmp_path / "threads.npz"
    code = THREADED_RUN.replace("@OUT@", repr(str(out))).replace("@RUN@", repr(run))
    # the default layer is tested as a plain install gets it: not forced
    proc = run_child(code, env=child_env(None if layer == DEFAULT_LAYER else layer,
                                              session_cache=True))
    assert last_json(proc)["layer"] == layer
    results = np.load(out)
    assert sorted(results.files) == [str(s) for s in range(THREADS)]
    for seed, expected in sequential.items():
        got = results[str(seed)]
        assert got.dtype == CONFIGS[seed % len(CONFIGS)][0]
        # bitwise: the serial and parallel kernels give the same bits, so
        # whichever a thread was given, the answer is the sequential one
        np.testing.assert_array_equal(got, expected, err_msg=f"seed {seed}")


def test_sequential_trajectories_moved(sequential):
    # guards the test above against comparing two untouched vectors
    for seed, x in sequential.items():
        rng = np.random.default_rng(seed)
        x0 = rng.standard_normal(x.size).astype(x.dtype)
        assert np.all(np.isfinite(x))
        assert np.mean(x != x0) > 0.99


def test_unguarded_workqueue_launches_abort():
    """The hazard the guard exists for: without it, workqueue kills the process.

    Calls the compiled parallel kernel directly from several threads,
    bypassing ``adaopt._threading``.  If a Numba release makes workqueue
    thread-safe this test fails, and the guard can be reconsidered.
    """
    code = f"""
        import threading
        import numpy as np
        from adaopt import kernels
        from adaopt._rmsprop import RMSPROP
        n = kernels.PARALLEL_THRESHOLD + 1000
        kernel = kernels.get_step_kernel(False, False, True)
        def work():
            x = np.ones(n); g = np.ones(n); S = np.zeros((1, n))
            hp = np.empty(RMSPROP.hp_size)
            RMSPROP.fixed_scalars(hp, RMSPROP.settings(RMSPROP.check(dict())))
            for _ in range(2000):
                kernel(x, g, S, hp)
        work()
        threads = [threading.Thread(target=work) for _ in range({THREADS})]
        for t in threads: t.start()
        for t in threads: t.join()
    """
    proc = run_child(code, env=child_env("workqueue", session_cache=True),
                     check=False)
    assert proc.returncode != 0
    assert "Concurrent access has been detected" in proc.stderr
