"""asv: one step of every method, and its share of the method's own roofline.

* ``MethodStep.time_step``: one ``opt.step(grad)`` of each optimizer class at
  its (PyTorch's) defaults, per method, n and dtype.
* ``MethodProbe.time_probe``: the streaming probe of the method's bytes
  (:func:`adaopt.method_bench.method_probe`: theta, g and the state arrays
  read, theta and the state arrays written).
* ``MethodRatios.track_probe_over_step``: the probe's time over the step's,
  measured in one run (:func:`adaopt.method_bench.method_table`), so that a
  commit that loses bandwidth shows as a drop whatever the machine's load.
* ``DividerRatios.track_divider_over_step``: the same for the divider probe
  (:func:`adaopt.method_bench.divider_probe`: the step's square roots and
  divisions alone) of each method that has any, in cache (1e5, 1e6), where
  they can bound the step.

``python -m adaopt bench --method NAME`` prints the same comparison, with
torch and optax beside it when they are installed.
"""

import numpy as np

from adaopt import kernels, method_bench
from adaopt._optimizers import OPTIMIZERS

METHODS = sorted(OPTIMIZERS)
SIZES = [10**3, 10**5, 10**6, 10**7]
DTYPES = ["float32", "float64"]


def _vectors(n, dtype):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype))


def _compile_all():
    # fill Numba's on-disk cache once (serial and parallel builds), so that
    # each setup only loads
    for dtype in DTYPES:
        for n in (10, kernels.PARALLEL_THRESHOLD):
            for name in METHODS:
                method_bench.method_contenders(name, n, dtype, others=False)


class MethodStep:
    params = (METHODS, SIZES, DTYPES)
    param_names = ["method", "n", "dtype"]
    timeout = 600

    def setup_cache(self):
        _compile_all()

    def setup(self, method, n, dtype):
        x, self.g = _vectors(n, dtype)
        self.opt = OPTIMIZERS[method](x)
        self.opt.step(self.g)

    def time_step(self, method, n, dtype):
        self.opt.step(self.g)


class MethodProbe:
    params = (METHODS, SIZES, DTYPES)
    param_names = ["method", "n", "dtype"]
    timeout = 600

    def setup_cache(self):
        _compile_all()

    def setup(self, method, n, dtype):
        self.x, self.g = _vectors(n, dtype)
        rows = method_bench.state_rows(method)
        self.S = np.zeros((rows, n), dtype)
        self.a = np.array([1e-3], dtype)
        self.probe = method_bench.method_probe(rows, kernels.use_parallel(n))
        self.probe(self.x, self.g, self.S, self.a)

    def time_probe(self, method, n, dtype):
        self.probe(self.x, self.g, self.S, self.a)


class _InOneRun:
    # a reference's time over the step's, both measured in one run
    # (method_table), so that the ratio does not move with the machine's load
    timeout = 600

    def setup_cache(self):
        _compile_all()

    def _share(self, method, n, reference):
        (row,) = method_bench.method_table(method, sizes=(n,), dtypes=(np.float32,),
                                           seconds=1.0, others=False)
        return row[reference] / row["adaopt"]


class MethodRatios(_InOneRun):
    params = (METHODS, [10**5, 10**7])
    param_names = ["method", "n"]
    unit = "probe time / step time"

    def track_probe_over_step(self, method, n):
        return self._share(method, n, "probe")


class DividerRatios(_InOneRun):
    params = ([m for m in METHODS if any(method_bench.DIVIDER_OPS[m])], [10**5, 10**6])
    param_names = ["method", "n"]
    unit = "divider probe time / step time"

    def track_divider_over_step(self, method, n):
        return self._share(method, n, "divider")
