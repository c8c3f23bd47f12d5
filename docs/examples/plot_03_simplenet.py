r"""
SimpleNet: a two-layer network trained with ParamLayout
=======================================================

The PyTorch RMSprop tutorial trains this network on random data::

    class SimpleNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(10, 50)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(50, 1)

        def forward(self, x):
            return self.fc2(self.relu(self.fc1(x)))

    optimizer = optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, eps=1e-08)

Here is the same network in NumPy.  Its four arrays live in one flat float32
vector laid out by :class:`adaopt.ParamLayout`; the backward pass writes the
gradients into views of a second flat vector with the same layout, and one
:class:`adaopt.RMSprop` step updates all 601 parameters at once.  PyTorch's
``alpha`` is adaopt's ``rho`` (:doc:`/compatibility`).
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import check_grad

import adaopt

# %%
# Parameters and gradients: one flat vector each
# ----------------------------------------------

layout = adaopt.ParamLayout(
    W1=(10, 50), b1=(50,), W2=(50, 1), b2=(1,), dtype=np.float32)
print(layout, "->", layout.size, "parameters")


def init(layout, rng):
    """nn.Linear's default: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    flat = layout.zeros()
    p = layout.views(flat)
    for name, fan_in in (("W1", 10), ("b1", 10), ("W2", 50), ("b2", 50)):
        bound = 1 / np.sqrt(fan_in)
        p[name][...] = rng.uniform(-bound, bound, p[name].shape)
    return flat


# %%
# Forward and backward
# --------------------
# ``loss_and_grad(params, grads, X, y)`` returns the MSE loss and fills
# ``grads`` through its views; it never allocates a new flat vector.


def loss_and_grad(params, grads, X, y):
    p, g = layout.views(params), layout.views(grads)
    z = X @ p["W1"] + p["b1"]
    h = np.maximum(z, 0)
    out = h @ p["W2"] + p["b2"]
    r = out - y
    loss = np.mean(r * r)
    dout = (2 / r.size) * r
    g["W2"][...] = h.T @ dout
    g["b2"][...] = dout.sum(axis=0)
    dz = (dout @ p["W2"].T) * (z > 0)
    g["W1"][...] = X.T @ dz
    g["b1"][...] = dz.sum(axis=0)
    return float(loss)


rng = np.random.default_rng(0)
X = rng.standard_normal((100, 10)).astype(np.float32)
y = rng.standard_normal((100, 1)).astype(np.float32)
params = init(layout, rng)
grads = layout.zeros()

# %%
# A hand-written backward pass deserves a check: compare it with finite
# differences (in float64, where they are accurate).

layout64 = adaopt.ParamLayout(layout.shapes)
X64, y64, p64 = X.astype(np.float64), y.astype(np.float64), params.astype(np.float64)
err = check_grad(lambda w: loss_and_grad(w, layout64.zeros(), X64, y64),
                 lambda w: (gw := layout64.zeros(), loss_and_grad(w, gw, X64, y64))[0],
                 p64)
print(f"gradient check: |analytic - finite difference| = {err:.1e}")
assert err < 1e-5

# %%
# The training loop
# -----------------
# The tutorial's loop, with ``opt.step(grads)`` in place of ``zero_grad()``,
# ``backward()`` and ``step()``.

opt = adaopt.RMSprop(params, lr=0.01, rho=0.9, eps=1e-8)
for epoch in range(10):
    loss = loss_and_grad(params, grads, X, y)
    opt.step(grads)
    print(f"Epoch [{epoch + 1}/10], Loss: {loss:.4f}")

# %%
# The data are pure noise, so the network can only memorize them.  Training
# longer, and comparing a few variants from the same initial weights, shows
# how much each one helps on this small problem.  (The tutorial prints no
# losses and draws its data and weights from PyTorch's generator, so there is
# no table to match here; the linear-model example reproduces a printed one.)


def train(epochs, **options):
    params = init(layout, np.random.default_rng(1))
    grads = layout.zeros()
    opt = adaopt.RMSprop(params, **options)
    losses = []
    for _ in range(epochs):
        losses.append(loss_and_grad(params, grads, X, y))
        opt.step(grads)
    return np.array(losses)


variants = {
    "lr=0.01 (the tutorial)": dict(lr=0.01, rho=0.9),
    "lr=0.001": dict(lr=0.001, rho=0.9),
    "lr=0.01, cosine decay": dict(
        rho=0.9, lr_schedule=adaopt.schedules.cosine_decay(0.01, 300)),
    "lr=0.001, momentum 0.9": dict(lr=0.001, rho=0.9, momentum=0.9),
    "lr=0.01, centered": dict(lr=0.01, rho=0.9, centered=True),
}
fig, ax = plt.subplots()
for label, options in variants.items():
    losses = train(300, **options)
    ax.semilogy(losses, label=f"{label}: {losses[-1]:.1e}")
ax.set_xlabel("epoch (full batch)")
ax.set_ylabel("MSE loss")
ax.set_title("SimpleNet on 100 random samples")
ax.legend(title="final loss", fontsize=8, loc="lower left")

# %%
# With a constant ``lr=0.01`` the loss stalls and jitters: each parameter
# keeps moving by about ``lr`` per step.  A decaying schedule lets the same
# starting rate settle.  Momentum 0.9 multiplies the step along a consistent
# direction by up to :math:`1/(1-\mu) = 10`, so ``lr=0.001`` with momentum
# moves as fast as ``lr=0.01`` early on but jitters ten times less near the
# end.  The centered variant behaves like the plain one here.
