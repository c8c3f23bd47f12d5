r"""
Jitted objectives and many starts
=================================

Himmelblau's function

.. math::

   f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2

has four minima, all with :math:`f = 0`.  Written with ``@numba.njit``, it lets
:func:`adaopt.minimize` run the whole optimization loop compiled, and
:func:`adaopt.multistart` run a few hundred starts in parallel to find all
four minima.
"""

import time

import matplotlib.pyplot as plt
import numba
import numpy as np

import adaopt


@numba.njit(cache=True)
def himmelblau(x):
    return (x[0] ** 2 + x[1] - 11.0) ** 2 + (x[0] + x[1] ** 2 - 7.0) ** 2


@numba.njit(cache=True)
def himmelblau_grad(x):
    a = x[0] ** 2 + x[1] - 11.0
    b = x[0] + x[1] ** 2 - 7.0
    return np.array([4.0 * x[0] * a + 2.0 * b, 2.0 * a + 4.0 * x[1] * b])


maxiter = 5000
options = dict(maxiter=maxiter,
               lr_schedule=adaopt.schedules.cosine_decay(0.05, maxiter))

# %%
# One start, two loops
# --------------------
# ``driver='auto'`` picks the compiled loop for jitted functions; forcing
# ``driver='python'`` runs the same iterations from the interpreter.  Both give
# the same answer to the bit.  The first compiled call builds the driver for
# this objective (or loads it from Numba's on-disk cache), so it is timed
# separately.

t0 = time.perf_counter()
res = adaopt.minimize(himmelblau, [0.0, 0.0], jac=himmelblau_grad, options=options)
print(f"first call (builds or loads the compiled driver): "
      f"{time.perf_counter() - t0:.2f} s")
print(f"minimum at {res.x}, f = {res.fun:.1e}, nit = {res.nit}, status {res.status}")

# %%
# Time per iteration: a fixed number of iterations (``gtol=0``) with a
# constant learning rate, best of three runs after a warm-up call.

fixed = dict(lr=0.01, gtol=0.0, maxiter=20000, lr_schedule=None)
timings = {}
for driver in ("compiled", "python"):
    adaopt.minimize(himmelblau, [0.0, 0.0], jac=himmelblau_grad,
                    options=dict(fixed, driver=driver))
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        r = adaopt.minimize(himmelblau, [0.0, 0.0], jac=himmelblau_grad,
                            options=dict(fixed, driver=driver))
        best = min(best, time.perf_counter() - t0)
    timings[driver] = r, best / r.nit
same = np.array_equal(timings["compiled"][0].x, timings["python"][0].x)
print(f"compiled loop: {timings['compiled'][1] * 1e6:.3f} µs per iteration; "
      f"Python loop: {timings['python'][1] * 1e6:.3f} µs per iteration "
      f"({timings['python'][1] / timings['compiled'][1]:.0f} times longer); "
      f"same x: {same}")
assert same

# %%
# These times come from the machine that built this page, measured in the same
# run; ``python -m adaopt bench`` and the asv benchmarks measure them properly.
# A learning-rate *schedule* is Python code, called once per iteration (the
# compiled loop tabulates its values between chunks of iterations), so with a
# schedule each iteration also costs one Python call of the schedule.

# %%
# Two hundred starts
# ------------------

rng = np.random.default_rng(0)
starts = rng.uniform(-5, 5, size=(200, 2))
t0 = time.perf_counter()
ms = adaopt.multistart(himmelblau, starts, jac=himmelblau_grad, options=options)
first = time.perf_counter() - t0
t0 = time.perf_counter()
ms = adaopt.multistart(himmelblau, starts, jac=himmelblau_grad, options=options)
again = time.perf_counter() - t0
print(f"{len(starts)} starts on {numba.get_num_threads()} threads: {first:.2f} s "
      f"for the first call (building the parallel driver), {again:.3f} s again")
print(f"statuses: {dict(zip(*np.unique(ms.statuses, return_counts=True)))}")
print(f"best start: row {ms.best}, x = {ms.x}, f = {ms.fun:.1e}")

minima, counts = np.unique(ms.xs.round(3), axis=0, return_counts=True)
for m, c in zip(minima, counts):
    print(f"  minimum at ({m[0]:+.3f}, {m[1]:+.3f}) reached from {c} starts")

# Each start gives what minimize gives from that start alone.
one = adaopt.minimize(himmelblau, starts[7], jac=himmelblau_grad, options=options)
assert np.array_equal(one.x, ms.results[7].x) and one.nit == ms.results[7].nit

# %%
# Basins of attraction
# --------------------
# Each start is coloured by the minimum it reached.  These are not the basins
# of gradient descent: RMSprop's first steps have a fixed length (about
# :math:`\eta/\sqrt{1-\rho} = 0.16` here) whatever the gradient, so starts on
# steep slopes can be carried across a ridge.

gx, gy = np.meshgrid(np.linspace(-5, 5, 301), np.linspace(-5, 5, 301))
fz = (gx**2 + gy - 11) ** 2 + (gx + gy**2 - 7) ** 2
which = np.array([np.argmin(np.abs(minima - x).sum(axis=1)) for x in ms.xs.round(3)])

fig, ax = plt.subplots(figsize=(6, 5.5))
ax.contour(gx, gy, fz, levels=np.geomspace(0.5, 500, 15), colors="0.75",
           linewidths=0.7)
ax.scatter(starts[:, 0], starts[:, 1], c=which, cmap="tab10", vmin=0, vmax=9,
           s=14, label="starts, coloured by the minimum reached")
ax.scatter(minima[:, 0], minima[:, 1], c=np.arange(len(minima)), cmap="tab10",
           vmin=0, vmax=9, marker="*", s=250, edgecolors="k", label="minima")
ax.set_aspect("equal")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("multistart on Himmelblau's function")
ax.legend(loc="upper left", fontsize=8, framealpha=0.95)
