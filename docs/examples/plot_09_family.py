r"""
The family on one problem
=========================

adaopt's nine methods -- PyTorch's adaptive family -- run behind the same
front ends.  This example puts them side by side twice:

1. as a PyTorch user meets them: each optimizer object at **PyTorch's
   defaults**, in a training loop over shuffled minibatches of an
   L2-regularized logistic regression
   (:class:`adaopt.problems.LogisticRegression`, whose exact minimum is known),
   plotting the optimality gap :math:`f(w) - f_\star` after each epoch;
2. as a scipy user meets them: :func:`adaopt.minimize` with default options
   on an ill-conditioned quadratic (:class:`adaopt.problems.IllConditionedQuadratic`,
   condition number :math:`10^4`), where the default policy (the bold driver)
   adapts each method's rate from its class's ``lr``.
"""

import matplotlib.pyplot as plt
import numpy as np

import adaopt
from adaopt.problems import IllConditionedQuadratic, LogisticRegression

CLASSES = [adaopt.RMSprop, adaopt.Adam, adaopt.AdamW, adaopt.Adamax, adaopt.NAdam,
           adaopt.RAdam, adaopt.Adagrad, adaopt.Adadelta, adaopt.SGD]

# %%
# 1. Training loops at PyTorch's defaults
# ---------------------------------------
# Every class is created with nothing but the parameter vector, so each runs
# at its own default rate (Adam's ``lr=1e-3``, Adamax's and NAdam's
# ``2e-3``, Adagrad's ``1e-2``, Adadelta's ``1.0``, ...): the comparison
# PyTorch's defaults make, not a tuned one.

problem = LogisticRegression(n_samples=2000, n_features=10, batch_size=32, seed=0)
f_star = problem.f_min
A, y, l2 = problem.A, problem.y, problem.l2
epochs, batch = 30, 32


def minibatch_gradient(w, idx, out):
    """The gradient of the minibatch ``idx``, written into ``out``."""
    z = A[idx] @ w
    sig = 0.5 * (1.0 + np.tanh(0.5 * z))     # a sigmoid that does not overflow
    np.matmul(A[idx].T, sig - y[idx], out=out)
    out /= len(idx)
    out += l2 * w
    return out


gaps = {}
for cls in CLASSES:
    w = problem.x0.copy()
    grad = np.empty_like(w)
    opt = cls(w)
    rng = np.random.default_rng(1)          # the same minibatches for every method
    gap = []
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            opt.step(minibatch_gradient(w, order[start:start + batch], grad))
        gap.append(problem.fun(w) - f_star)
    gaps[cls.__name__] = gap

fig, ax = plt.subplots(figsize=(7, 4))
for name, gap in gaps.items():
    ax.semilogy(range(1, epochs + 1), gap, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel(r"$f(w) - f_\star$")
ax.set_title("training loops at PyTorch's defaults")
ax.legend(ncol=3, fontsize="small")
fig.tight_layout()

for name, gap in gaps.items():
    print(f"{name:>8}: gap after {epochs} epochs {gap[-1]:.2e}")

# %%
# 2. ``minimize`` with default options
# ------------------------------------
# The same call for every method, ``method=`` aside.  ``nit`` is the number
# of iterations to ``gtol = 1e-5`` (status 0); status 1 is ``maxiter``.
# AdamW does not get there: its default ``weight_decay=1e-2`` is decoupled
# from the gradient, so its fixed point is not the minimum of :math:`f` (pass
# ``weight_decay=0`` and it is Adam).  SGD (with ``minimize``'s momentum 0.9)
# gets there ten times slower than the others: it has one rate for every
# coordinate, held below :math:`2/d_{max}` by the steepest one, and crawls
# along the flattest (:math:`d_{min} = 1`) -- what the per-coordinate scaling
# of the adaptive methods is for.

quad = IllConditionedQuadratic(n=10, cond=1e4)
print(f"{'method':>8} {'status':>6} {'nit':>6} {'f - f*':>9}")
for cls in CLASSES:
    res = adaopt.minimize(quad.fun_and_jac, quad.x0, jac=True, method=cls.method.name)
    print(f"{cls.method.name:>8} {res.status:>6} {res.nit:>6} {res.fun - quad.f_min:9.1e}")
