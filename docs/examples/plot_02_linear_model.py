r"""
A linear model, from the from-scratch tutorial
==============================================

The from-scratch RMSprop tutorial trains ``torch.nn.Linear(2, 1)`` on one
sample, :math:`a = (1, 2)`, :math:`y = 1`, with the mean squared error,
``lr=0.01``, :math:`\gamma = 0.9` and :math:`\epsilon = 10^{-8}` *inside* the
square root (``torch.sqrt(avg_sq + eps)``), and prints ten losses.

Here the same model is written with NumPy and :class:`adaopt.ParamLayout`,
and trained by :class:`adaopt.RMSprop` with ``eps_in_sqrt=True``.
"""

import matplotlib.pyplot as plt
import numpy as np

import adaopt

# %%
# The model: three parameters in one flat vector
# ----------------------------------------------
# :class:`~adaopt.ParamLayout` gives named, shaped views into one flat
# float32 vector (PyTorch's default dtype), which is what the optimizer
# updates.

layout = adaopt.ParamLayout(weight=(1, 2), bias=(1,), dtype=np.float32)
params = layout.zeros()
grads = layout.zeros()
p, g = layout.views(params), layout.views(grads)

a = np.array([[1.0, 2.0]], dtype=np.float32)
y = np.array([[1.0]], dtype=np.float32)


def loss_and_backward():
    """MSE loss of the linear model; writes the gradient into ``grads``."""
    pred = a @ p["weight"].T + p["bias"]
    r = pred - y
    loss = float(np.mean(r * r))
    dpred = 2 * r / r.size
    g["weight"][...] = dpred.T @ a
    g["bias"][...] = dpred.sum(axis=0)
    return loss


# %%
# The starting point
# ------------------
# The tutorial's weights come from PyTorch's random initialization and are not
# printed.  They do not need to be: the gradient of every parameter is the
# residual :math:`r = w \cdot a + b - y` times a fixed factor (:math:`2a_1`,
# :math:`2a_2`, 2), and RMSprop divides each parameter's gradient by its own
# running RMS, so those factors cancel.  The whole trajectory of the loss
# depends on the initial residual alone, and the printed first loss fixes it:
# :math:`r_0 = \sqrt{2.9726} \approx 1.72413`.  We draw weights as PyTorch
# would and shift the bias to give that residual.

rng = np.random.default_rng(0)
bound = 1 / np.sqrt(2)  # nn.Linear's uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))
p["weight"][...] = rng.uniform(-bound, bound, (1, 2))
p["bias"][...] = y[0, 0] + 1.724134 - float((a @ p["weight"].T)[0, 0])
print("initial parameters (weight, bias):", params)

# %%
# Training
# --------

opt = adaopt.RMSprop(params, lr=0.01, rho=0.9, eps=1e-8, eps_in_sqrt=True)
losses = []
for epoch in range(10):
    loss = loss_and_backward()
    opt.step(grads)
    losses.append(loss)
    print(f"Epoch {epoch + 1}, Loss = {loss:.4f}")

seed_losses = [2.9726, 2.5525, 2.2779, 2.0650, 1.8882,
               1.7356, 1.6008, 1.4799, 1.3700, 1.2694]
assert [f"{v:.4f}" for v in losses] == [f"{v:.4f}" for v in seed_losses]
print("identical to the tutorial's printed losses")

# %%
# Every parameter moves by the same amount per step: about
# :math:`\eta/\sqrt{1-\rho} = 0.0316` at first, since :math:`v` starts at 0.
# The prediction therefore moves by :math:`0.0316 \cdot (1 + 2 + 1)` per
# step, and the loss falls slowly at first.  Running longer shows the rest of
# the story: as the residual shrinks, :math:`v` still remembers the larger
# gradients of the last ten steps, the steps shrink with the residual, and
# the float32 loss reaches exactly zero after about 85 epochs.

for epoch in range(90):
    losses.append(loss_and_backward())
    opt.step(grads)

fig, ax = plt.subplots()
ax.semilogy(np.arange(1, len(losses) + 1), losses, label="adaopt")
ax.semilogy(np.arange(1, 11), seed_losses, "o", mfc="none",
            label="tutorial's printed losses")
ax.set_xlabel("epoch")
ax.set_ylabel("MSE loss")
ax.set_title("Linear(2, 1) on one sample, RMSprop lr=0.01")
ax.legend()
