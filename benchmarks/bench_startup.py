"""asv: the first call in a new process, cold and warm Numba cache.

The cases are :data:`adaopt.startup.CASES` (``python -m adaopt bench
--startup`` prints the same table): ``import adaopt``, the first
``RMSprop.step`` at n = 10 and 1e5, the first ``minimize`` with a Python
and with a jitted objective, user ``@njit`` code calling ``rmsprop_njit``.
Each runs in a fresh interpreter with a new, empty ``NUMBA_CACHE_DIR``
(cold), then again with what that run cached (warm); the value is seconds
after ``import numpy, numba``.  ``track_`` rather than ``timeraw_``: the
jitted cases define ``cache=True`` functions, which need a source file,
and asv's ``timeraw_`` runs its snippet with ``python -c``.
"""

import tempfile

from adaopt import startup


class FirstCall:
    params = list(startup.CASES)
    param_names = ["case"]
    timeout = 300
    number = 1
    repeat = 1

    def setup(self, case):
        self._times = {}
        with tempfile.TemporaryDirectory(prefix="adaopt-asv-startup-") as cache_dir:
            self._times["cold"] = startup.time_case(case, cache_dir)
            self._times["warm"] = startup.time_case(case, cache_dir)

    def track_cold_cache_s(self, case):
        return self._times["cold"]

    def track_warm_cache_s(self, case):
        return self._times["warm"]

    track_cold_cache_s.unit = "s"
    track_warm_cache_s.unit = "s"
