r"""
Speed of a step against the memory roofline
===========================================

A plain RMSprop step reads :math:`\theta`, :math:`g` and :math:`v` and writes
:math:`\theta` and :math:`v`: :math:`5 n s` bytes for :math:`n` elements of
:math:`s` bytes.  For large vectors nothing can be faster than moving those
bytes, so the honest yardstick is a *streaming probe* that moves exactly the
same bytes with trivial arithmetic, measured in the same run on the same
machine.  :mod:`adaopt.bench` (behind ``python -m adaopt bench``) provides the
probe, a NumPy implementation of the same update, and interleaved timing that
keeps the ratios meaningful on a busy machine.

This page runs a short version of that benchmark while the documentation is
built, so the numbers below come from the build machine, whatever it is; the
full table (with PyTorch and optax when installed) is
``python -m adaopt bench``.
"""

import matplotlib.pyplot as plt
import numpy as np

from adaopt import bench, kernels

sizes = (10**3, 10**4, 10**5, 10**6, 10**7)
rows = bench.bench_table(sizes=sizes, dtypes=(np.float32, np.float64),
                         seconds=0.3, others=False)
print(bench.format_table(rows))

# %%
# ``step`` is one :meth:`adaopt.RMSprop.step`, Python call included, and
# ``kernel`` the compiled loop called directly; ``GB/s`` counts the
# :math:`5ns` bytes of a plain step; ``%probe`` is the probe's time over the
# step's (the share of the roofline bandwidth the step reaches) and ``%bare``
# the same for a *bare* loop that does the plain update's arithmetic (one
# square root and one division per element) and nothing else, its arithmetic
# limit; ``xNumPy`` is how many times faster than the NumPy update the step
# is.  Vectors of at least ``kernels.PARALLEL_THRESHOLD`` elements use all
# cores.

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5))
styles = {"float32": "-", "float64": "--"}
colors = {"probe": "0.4", "bare": "C1", "adaopt": "C0", "kernel": "C2",
          "numpy": "C3"}
labels = {"probe": "streaming probe (roofline)", "bare": "bare arithmetic loop",
          "adaopt": "RMSprop.step", "kernel": "compiled loop alone",
          "numpy": "NumPy update"}
for dtype, ls in styles.items():
    mine = [r for r in rows if r["dtype"] == dtype]
    n = np.array([r["n"] for r in mine])
    nbytes = 5 * n * np.dtype(dtype).itemsize
    for name in ("probe", "bare", "adaopt", "kernel", "numpy"):
        gbs = nbytes / np.array([r[name] for r in mine]) / 1e9
        ax0.loglog(n, gbs, ls, color=colors[name], marker="o", ms=4,
                   label=f"{labels[name]}, {dtype}")
    ax1.semilogx(n, [100 * r["probe"] / r["adaopt"] for r in mine], ls,
                 color="C0", marker="o", ms=4, label=f"RMSprop.step vs the probe, {dtype}")
    ax1.semilogx(n, [100 * r["bare"] / r["adaopt"] for r in mine], ls,
                 color="C1", marker="o", ms=4,
                 label=f"RMSprop.step vs the bare loop, {dtype}")
for ax in (ax0, ax1):
    ax.axvline(kernels.PARALLEL_THRESHOLD, color="0.8", lw=1)
    ax.set_xlabel("n (elements)")
ax0.set_ylabel("GB/s (5 n itemsize bytes per step)")
ax0.set_title("bandwidth of one step")
ax0.legend(fontsize=6.5, ncol=2)
ax1.axhline(100, color="0.4", lw=1)
ax1.set_ylim(0, None)
ax1.set_ylabel("% of the reference's speed")
ax1.set_title("share of the roofline and of the arithmetic limit")
ax1.legend(fontsize=7)
fig.tight_layout()

# %%
# How to read it: at small :math:`n` every contender pays a fixed cost per call
# (for ``RMSprop.step``, the Python method call and its argument checks), so
# bandwidth grows with :math:`n`; the grey line marks where the parallel loop
# takes over.  At large :math:`n` memory bounds everything, and the step's
# share of the probe's bandwidth is the figure of merit.  In the cache-resident
# middle range a float64 step is bounded by its square root and division
# rather than by memory.  The :doc:`performance guide </guide/performance>`
# discusses the measurements and the asv benchmarks that track them over time.
