"""Process pools started after adaopt's parallel kernels ran in the parent.

Under GNU OpenMP (what a plain pip install gets on Linux) a process forked
after a parallel region terminates as soon as it launches one, and a
``multiprocessing`` pool then respawns dying workers forever.  adaopt runs
serial kernels in such a fork (same bits, see ``adaopt._threading``).  Each
layer's experiment runs in a child process with every pool call under a
timeout, so an abort or a hang fails the test and names the pool.
"""

import pytest

from reliability_tools import LAYERS, child_env, last_json, run_child

SEEDS = 4

POOLS = f"""
    import concurrent.futures as cf
    import faulthandler
    import json
    import multiprocessing as mp

    import numba
    import numpy as np
    import scipy.optimize

    from reliability_tools import RUNS, de_objective, pool_task

    # scipy's pool has no timeout: a hang there dumps the stacks and exits
    faulthandler.dump_traceback_later(240, exit=True)
    seeds = range({SEEDS})
    # The parent runs the parallel kernels first: that starts the layer's
    # thread pool, which is what a later fork inherits.
    expected = [pool_task(s)[0] for s in seeds]
    layer = numba.threading_layer()
    gnu_omp = layer == "omp" and __import__(
        "numba.np.ufunc.omppool", fromlist=["x"]).openmp_vendor == "GNU"
    report = {{"layer": layer, "gnu_omp": gnu_omp}}

    def check(name, run, expected=expected):
        try:
            results = run()
        except Exception as err:      # a hang shows as a TimeoutError here
            report[name] = {{"ok": False, "error": repr(err)}}
            return
        same = all(np.array_equal(x, e) for (x, _), e in zip(results, expected))
        report[name] = {{"ok": same, "parallel_allowed": sorted({{a for _, a in results}})}}
        print(name, report[name], flush=True)

    def mp_pool(method):
        def run():
            pool = mp.get_context(method).Pool(2)
            try:
                return pool.map_async(pool_task, seeds).get(timeout=120)
            finally:
                pool.terminate()
                pool.join()
        return run

    def executor():
        # the default context: fork on Linux before Python 3.14
        with cf.ProcessPoolExecutor(2) as ex:
            futures = [ex.submit(pool_task, s) for s in seeds]
            return [f.result(timeout=120) for f in futures]

    for method in ("fork", "spawn", "forkserver"):
        check(method, mp_pool(method))
    # minimize in a fork, against its own trajectories from this process
    expected_min = [RUNS["minimize"](s, 20) for s in seeds]
    def fork_minimize():
        pool = mp.get_context("fork").Pool(2)
        try:
            return pool.starmap_async(pool_task, [(s, 20, "minimize") for s in seeds]).get(timeout=120)
        finally:
            pool.terminate()
            pool.join()
    check("fork_minimize", fork_minimize, expected_min)
    check("ProcessPoolExecutor", executor)

    # scipy's usual process-based ``workers`` (a multiprocessing Pool of the
    # default context); same answer as one worker, in this process.
    de = dict(bounds=[(-2, 2), (-2, 2)], maxiter=2, popsize=4, polish=False,
              updating="deferred", seed=1)
    one = scipy.optimize.differential_evolution(de_objective, workers=1, **de)
    two = scipy.optimize.differential_evolution(de_objective, workers=2, **de)
    report["scipy_workers"] = {{"ok": bool(np.array_equal(one.x, two.x) and one.fun == two.fun
                                         and one.nfev == two.nfev)}}

    # and the parent still runs parallel kernels afterwards
    report["parent_after"] = {{"ok": all(np.array_equal(pool_task(s)[0], e)
                                        for s, e in zip(seeds, expected))}}
    print(json.dumps(report))
"""


@pytest.fixture(scope="module", params=LAYERS)
def pool_report(request):
    return last_json(run_child(POOLS, env=child_env(request.param, session_cache=True),
                               timeout=300))


@pytest.mark.parametrize("pool", ["fork", "spawn", "forkserver", "fork_minimize",
                                  "ProcessPoolExecutor",
                                  "scipy_workers", "parent_after"])
def test_pool_after_parallel_kernels(pool_report, pool):
    assert pool_report[pool]["ok"], pool_report[pool]


def test_fork_of_gnu_openmp_runs_serial(pool_report):
    fork = pool_report["fork"]["parallel_allowed"]
    if pool_report["gnu_omp"]:
        # a fork of a GNU OpenMP process may not start parallel regions...
        assert fork == [False]
    else:
        # ... every other layer survives a fork
        assert fork == [True]
    # fresh interpreters always may
    assert pool_report["spawn"]["parallel_allowed"] == [True]
    assert pool_report["forkserver"]["parallel_allowed"] == [True]
