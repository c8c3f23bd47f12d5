"""asv: memory of a step on 1e7 elements.

DESIGN.md section 3: no temporary the size of the parameters inside a step,
so the peak is params + state + grad.

* ``peakmem_step``: asv's peak resident memory of the process around one
  step (it includes the interpreter, NumPy and Numba, ~150-200 MB, and the
  arrays made in setup: 3 vectors of 1e7 elements, +1 per state array).
* ``track_step_extra_peak``: what a step adds to the peak resident memory
  of the process, in MB, after setup has touched every array: 0 when the
  step allocates nothing the size of the vector (a single float32
  temporary of 1e7 elements would show as 40 MB).
"""

import resource

import numpy as np

import adaopt

N = 10**7
VARIANTS = {"plain": {}, "centered": {"centered": True}, "momentum": {"momentum": 0.9},
            "clip_norm": {"clip_norm": 1.0}}


def _peak_rss_mb():
    # ru_maxrss is in kB on Linux: the process's peak resident set so far
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StepMemory:
    params = (["float32", "float64"], list(VARIANTS))
    param_names = ["dtype", "variant"]
    timeout = 300

    def setup(self, dtype, variant):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal(N).astype(dtype)
        self.g = rng.standard_normal(N).astype(dtype)
        self.opt = adaopt.RMSprop(self.x, **VARIANTS[variant])
        self.opt.step(self.g)   # compiles (or loads) and touches all state

    def peakmem_step(self, dtype, variant):
        self.opt.step(self.g)

    def track_step_extra_peak(self, dtype, variant):
        before = _peak_rss_mb()
        self.opt.step(self.g)
        return _peak_rss_mb() - before

    track_step_extra_peak.unit = "MB"
