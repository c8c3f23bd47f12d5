"""asv: time of one RMSprop step, next to the references that give it meaning.

* ``Step.time_step``: one :meth:`adaopt.RMSprop.step` per n, dtype and
  variant (plain, centered, momentum).
* ``Probe.time_probe``: the streaming probe (:func:`adaopt.bench.streaming_probe`),
  the roofline of a plain step: same bytes, trivial arithmetic, same
  serial/parallel path.  ``asv compare`` of a plain step against it over
  commits shows whether the kernel keeps its share of the bandwidth.
* ``NumPy.time_numpy``: the same update in NumPy (in place).
* ``Torch.time_torch``, ``Optax.time_optax``: ``torch.optim.RMSprop`` and a
  jitted optax ``rmsprop`` update, skipped (NotImplementedError in setup)
  when not importable; they are never dependencies of adaopt.

Compilation happens in ``setup_cache``/``setup`` (Numba's on-disk cache,
JAX's jit), never in a timed sample.  ``python -m adaopt bench`` prints the
same comparison as ratios measured in one run.
"""

import numpy as np

import adaopt
from adaopt import bench

SIZES = [10**3, 10**5, 10**6, 10**7]
DTYPES = ["float32", "float64"]
VARIANTS = {"plain": {}, "centered": {"centered": True}, "momentum": {"momentum": 0.9}}


def _vectors(n, dtype):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype))


def _compile_all():
    # Fill Numba's on-disk cache once, so that each setup only loads.  A
    # vector of PARALLEL_THRESHOLD elements takes the parallel build.
    for dtype in DTYPES:
        for n in (10, bench.kernels.PARALLEL_THRESHOLD):
            for options in VARIANTS.values():
                x, g = _vectors(n, dtype)
                adaopt.RMSprop(x, **options).step(g)
            bench.streaming_probe(x, g, np.zeros_like(x), np.ones(1, dtype))


class Step:
    params = (SIZES, DTYPES, list(VARIANTS))
    param_names = ["n", "dtype", "variant"]
    timeout = 300

    def setup_cache(self):
        _compile_all()

    def setup(self, n, dtype, variant):
        x, self.g = _vectors(n, dtype)
        self.opt = adaopt.RMSprop(x, lr=bench.LR, rho=bench.RHO, eps=bench.EPS,
                                  **VARIANTS[variant])
        self.opt.step(self.g)

    def time_step(self, n, dtype, variant):
        self.opt.step(self.g)


class Probe:
    params = (SIZES, DTYPES)
    param_names = ["n", "dtype"]

    def setup_cache(self):
        _compile_all()

    def setup(self, n, dtype):
        self.x, self.g = _vectors(n, dtype)
        self.v = np.zeros_like(self.x)
        self.a = np.array([bench.LR], dtype)
        bench.streaming_probe(self.x, self.g, self.v, self.a)

    def time_probe(self, n, dtype):
        bench.streaming_probe(self.x, self.g, self.v, self.a)


class NumPy:
    params = (SIZES, DTYPES)
    param_names = ["n", "dtype"]

    def setup(self, n, dtype):
        x, self.g = _vectors(n, dtype)
        self.opt = bench.NumpyRMSprop(x)

    def time_numpy(self, n, dtype):
        self.opt.step(self.g)


class _Foreign:
    """A step of another library, timed when it is importable."""

    params = (SIZES, DTYPES)
    param_names = ["n", "dtype"]
    make = None      # bench.torch_stepper or bench.optax_stepper
    requires = ""

    def setup(self, n, dtype):
        step = type(self).make(*_vectors(n, dtype))
        if step is None:
            raise NotImplementedError(f"{self.requires} not installed")
        self.step = step
        step()   # warm-up (jit compilation for optax)


class Torch(_Foreign):
    make = staticmethod(bench.torch_stepper)
    requires = "torch is"

    def time_torch(self, n, dtype):
        self.step()


class Optax(_Foreign):
    make = staticmethod(bench.optax_stepper)
    requires = "jax/optax are"

    def time_optax(self, n, dtype):
        self.step()
