r"""
Defaults that converge: the Moré-Garbow-Hillstrom problems
==========================================================

:func:`adaopt.minimize` with default options lets the learning rate follow
the objective (:class:`adaopt.schedules.bold_driver`: up by 1.1 while
:math:`f` falls, down by 0.85 when it rises) and runs RMSprop with momentum
0.9.  This example runs every problem of
:mod:`adaopt.mgh` (Moré, Garbow and Hillstrom 1981) from its standard start
with default options only, beside no policy (a constant rate and no
momentum: the optimizer object's defaults, what ``minimize`` did before)
and scipy's L-BFGS-B and BFGS, and prints the
table of ``python -m adaopt bench --convergence``: a cell is the number of
evaluations of a run that converged (success, and
:math:`f - f^* \le 10^{-6}\max(1, |f^*|)`), ``-`` where it did not; ``fd``
is without a gradient, on the problems of dimension at most 4.
"""

import matplotlib.pyplot as plt

from adaopt import convergence

counts = convergence.convergence_table()

# %%
# How many each solver converges on
# ---------------------------------

labels = [f"{solver}{'' if gradient else ' fd'}" for solver, gradient in counts]
fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(labels, list(counts.values()), color="tab:blue")
ax.invert_yaxis()
ax.set_xlabel("problems converged (default options)")
fig.tight_layout()
