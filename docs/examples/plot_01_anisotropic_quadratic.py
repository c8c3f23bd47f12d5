r"""
The anisotropic quadratic: reproducing the seed table
=====================================================

The classic RMSprop demonstration minimizes

.. math::

   f(x, y) = x^2 + 10\, y^2

from :math:`(5, 5)` with ``lr=0.1`` and :math:`\rho = 0.9`.  The gradient
:math:`(2x, 20y)` is ten times larger in :math:`y`, yet RMSprop moves both
coordinates by exactly the same amount at every step, because it divides each
coordinate's gradient by the root-mean-square of its own recent values.

The tutorial this example comes from prints a table of ten epochs, computed in
float32.  adaopt reproduces it digit for digit.
"""

import matplotlib.pyplot as plt
import numpy as np

import adaopt


def loss_and_grad(xy):
    """f(x, y) = x^2 + 10 y^2 and its gradient, in the dtype of ``xy``."""
    x, y = xy
    ten = xy.dtype.type(10.0)
    return x * x + ten * y * y, np.array([2 * x, 2 * ten * y], dtype=xy.dtype)


# %%
# Ten epochs, printed as in the tutorial
# --------------------------------------
# The loss is evaluated before each step, as a training loop does.

def ten_epochs(rho):
    """The tutorial's loop in float32: one printed line per epoch."""
    xy = np.array([5.0, 5.0], dtype=np.float32)
    opt = adaopt.RMSprop(xy, lr=0.1, rho=rho)
    lines = []
    for epoch in range(10):
        loss, grad = loss_and_grad(xy)
        opt.step(grad)
        lines.append(f"Epoch {epoch + 1}: x = {xy[0]:.4f}, y = {xy[1]:.4f}, "
                     f"loss = {loss:.4f}")
    return lines


table = ten_epochs(rho=0.9)
print("\n".join(table))

# %%
# This is the tutorial's printed table, copied verbatim.  The build of these
# pages fails if a single digit differs.

seed_table = """\
Epoch 1: x = 4.6838, y = 4.6838, loss = 275.0000
Epoch 2: x = 4.4616, y = 4.4616, loss = 241.3149
Epoch 3: x = 4.2793, y = 4.2793, loss = 218.9631
Epoch 4: x = 4.1201, y = 4.1201, loss = 201.4354
Epoch 5: x = 3.9762, y = 3.9762, loss = 186.7233
Epoch 6: x = 3.8433, y = 3.8433, loss = 173.9078
Epoch 7: x = 3.7189, y = 3.7189, loss = 162.4813
Epoch 8: x = 3.6011, y = 3.6011, loss = 152.1306
Epoch 9: x = 3.4887, y = 3.4887, loss = 142.6466
Epoch 10: x = 3.3808, y = 3.3808, loss = 133.8827""".splitlines()
assert table == seed_table
print("identical to the seed table")

# %%
# Why the first step is 0.316
# ---------------------------
# With :math:`v_0 = 0`, the first average is :math:`v_1 = (1-\rho) g^2`, so the
# first step is :math:`\eta / \sqrt{1 - \rho} = 0.1 \sqrt{10} = 0.316` for both
# coordinates, whatever their gradients: :math:`5 - 0.316 = 4.6838`.
#
# A later version of the same tutorial prints a different table, starting with
# a step of exactly 1.0.  That is :math:`\rho = 0.99`:
# :math:`0.1/\sqrt{0.01} = 1`.  adaopt reproduces that one too.

xs = [line.split()[4].rstrip(",") for line in ten_epochs(rho=0.99)]
print("x after each epoch with rho=0.99:", ", ".join(xs))
assert xs == ["4.0000", "3.3734", "2.9043", "2.5283", "2.2157",
              "1.9503", "1.7217", "1.5230", "1.3489", "1.1959"]

# %%
# Trajectories on the contour plot
# --------------------------------
# Gradient descent needs a learning rate below :math:`2/20 = 0.1`, set by the
# largest curvature, to stay stable in :math:`y`.  Near that limit it
# zig-zags across the valley; at a safer rate it crawls along :math:`x`.
# RMSprop takes equal steps in both coordinates and runs straight down the
# diagonal.  (Gradient descent with a rate tuned to the curvature is
# competitive on a quadratic this simple; RMSprop's advantage is that its rate
# needs no such tuning, as the next section shows.)


def run_rmsprop(steps, **kw):
    xy = np.array([5.0, 5.0])
    opt = adaopt.RMSprop(xy, **kw)
    path, losses = [xy.copy()], []
    for _ in range(steps):
        loss, grad = loss_and_grad(xy)
        losses.append(loss)
        opt.step(grad)
        path.append(xy.copy())
    return np.array(path), np.array(losses)


def run_gradient_descent(steps, lr):
    xy = np.array([5.0, 5.0])
    path, losses = [xy.copy()], []
    for _ in range(steps):
        loss, grad = loss_and_grad(xy)
        losses.append(loss)
        xy = xy - lr * grad
        path.append(xy.copy())
    return np.array(path), np.array(losses)


steps = 100
runs = {
    "RMSprop, lr=0.1, rho=0.9": run_rmsprop(steps, lr=0.1, rho=0.9),
    "RMSprop, lr=0.1, rho=0.99": run_rmsprop(steps, lr=0.1, rho=0.99),
    "gradient descent, lr=0.09": run_gradient_descent(steps, lr=0.09),
    "gradient descent, lr=0.02": run_gradient_descent(steps, lr=0.02),
}

gx, gy = np.meshgrid(np.linspace(-6, 6, 241), np.linspace(-6, 6, 241))
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5))
ax0.contour(gx, gy, gx**2 + 10 * gy**2, levels=np.geomspace(0.1, 400, 14),
            colors="0.75", linewidths=0.8)
for label, (path, _) in runs.items():
    ax0.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=label)
ax0.plot(0, 0, "k*", ms=10)
ax0.set_aspect("equal")
ax0.set_xlabel("x")
ax0.set_ylabel("y")
ax0.set_title("iterates on the contours of $x^2 + 10y^2$")
for label, (_, losses) in runs.items():
    ax1.semilogy(np.maximum(losses, 1e-30), label=label)
ax1.set_xlabel("step")
ax1.set_ylabel("f")
ax1.set_title("loss")
ax1.legend(fontsize=8)
fig.tight_layout()

# %%
# The learning rate is a distance, not a curvature
# ------------------------------------------------
# Multiply the objective by 100.  Gradient descent's stable rates shrink a
# hundredfold and ``lr=0.09`` now diverges; RMSprop's iterates do not change at
# all (up to the tiny ``eps``), because :math:`g / \sqrt{v}` does not depend on
# the gradient's scale.


def scaled(xy, factor=100.0):
    loss, grad = loss_and_grad(xy)
    return factor * loss, factor * grad


xy = np.array([5.0, 5.0])
opt = adaopt.RMSprop(xy, lr=0.1, rho=0.9)
for _ in range(40):
    opt.step(scaled(xy)[1])
unscaled = runs["RMSprop, lr=0.1, rho=0.9"][0][40]
print("after 40 steps, RMSprop on 100 f is at", xy, "and on f at", unscaled)
assert np.allclose(xy, unscaled, rtol=1e-7, atol=0)

xy = np.array([5.0, 5.0])
for _ in range(5):
    xy = xy - 0.09 * scaled(xy)[1]
print("gradient descent, lr=0.09, on 100 f after 5 steps:", xy)
