"""Shared fixtures of the test suite.

Compiled kernels are shared by the whole session (Numba caches them on disk,
so each flavour and dtype compiles at most once); nothing here compiles
anything by itself.
"""

import signal
from pathlib import Path

import pytest

from method_cases import forced_loop

#: The seeds' printed tables (the test oracles), as excerpts of the seed
#: documents kept in the repository: a clone needs nothing beside it.
SEEDS_DIR = Path(__file__).resolve().parent / "data" / "seeds"


def pytest_configure(config):
    # The Ctrl-C tests raise a real SIGINT.  A process started with SIGINT
    # ignored (a shell's background job, a test runner's worker process)
    # keeps it ignored, Python's KeyboardInterrupt handler never installed:
    # install it, so the suite runs the same wherever it is started from.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def kernel_path():
    """``with kernel_path(parallel): ...`` forces the serial or parallel loop.

    Session-scoped (a plain context manager, no per-test state) so that it
    can be used inside hypothesis tests.
    """
    return forced_loop


@pytest.fixture(scope="session")
def seed_file():
    """``seed_file('000')`` is the path of the seed whose name starts so.

    Fails, never skips, when the seed is missing: the seeds are the oracles.
    """
    def find(prefix):
        matches = sorted(SEEDS_DIR.glob(f"{prefix}_*.txt"))
        if len(matches) != 1:
            pytest.fail(f"expected one seed {prefix}_*.txt in {SEEDS_DIR}, "
                        f"found {[m.name for m in matches]}")
        return matches[0]
    return find


@pytest.fixture(scope="module")
def client():
    """A real Dask cluster for one test module: two worker processes, one
    (Numba) thread each; the workers inherit os.environ (PYTHONPATH included)."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"}) as cluster:
        with Client(cluster) as c:
            yield c
