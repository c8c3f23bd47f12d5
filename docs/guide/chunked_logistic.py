"""Logistic regression over a dataset in 16 chunks on a Dask cluster, with
adaopt.chunked_objective, against dask_ml's LogisticRegression on the same data.

docs/guide/scaling.rst includes this file and quotes what it prints;
tests/test_chunked.py runs ``main`` on its cluster and checks the quoted
numbers.  Alone (it starts a two-worker LocalCluster)::

    python docs/guide/chunked_logistic.py
"""

import numpy as np

import adaopt
from adaopt.jitted_problems import logistic_block

N_ROWS, N_FEATURES, N_CHUNKS = 200_000, 6, 16
#: dask_ml's default inverse penalty: it minimizes the summed log-loss plus
#: ||w||^2 / (2 C)
C = 1.0
STEPS = 100


def make_data(n_rows=N_ROWS):
    """``X`` (standard normal) and 0/1 labels ``y``, made on the cluster in chunks."""
    import dask.array as da

    rows = n_rows // N_CHUNKS
    rng = da.random.default_rng(0)
    X = rng.standard_normal((n_rows, N_FEATURES), chunks=(rows, N_FEATURES))
    w_true = np.linspace(-1.0, 1.0, N_FEATURES)
    p = 1.0 / (1.0 + da.exp(-(X @ w_true)))
    y = (rng.random(n_rows, chunks=rows) < p).astype(np.float64)
    return X, y


def main(client):
    X, y = make_data()
    # -- full batch --------------------------------------------------------------
    # the mean log-loss: the sum (block by block, on the workers) over N
    loss = adaopt.chunked_objective(logistic_block, X, y, client=client, scale="mean")
    lam = 1.0 / (C * loss.nrows)          # dask_ml's penalty, divided by N too

    def fun(w):
        f, g = loss(w)
        return f + 0.5 * lam * (w @ w), g + lam * w

    # exact gradients of a smooth, well-conditioned objective: plain gradient
    # descent, with a step below 2 / L (L <= 1/4 of the largest eigenvalue
    # of X^T X / N, which is about 1 for standard normal features)
    res = adaopt.minimize(fun, np.zeros(N_FEATURES), jac=True, method="sgd",
                          options=dict(lr=5.0, gtol=1e-9, lr_schedule=None,
                                       momentum=0.0))
    # -- minibatches -------------------------------------------------------------
    # one random block (12,500 rows) per step: its mean gradient estimates
    # the full one; the penalty's gradient is exact
    w = np.zeros(N_FEATURES)
    opt = adaopt.Adam(w, lr_schedule=adaopt.schedules.cosine_decay(0.05, STEPS))
    rng = np.random.default_rng(1)
    for block in rng.integers(loss.nblocks, size=STEPS):
        f, g = loss.minibatch(w, block)
        opt.step(g + lam * w)
    # -- dask_ml on the same objective -------------------------------------------
    from dask_ml.linear_model import LogisticRegression

    # no intercept column, and normalize=False: by default dask_glm's solvers
    # rescale the columns of X, so the penalty would fall on other coefficients
    model = LogisticRegression(C=C, fit_intercept=False, solver="lbfgs",
                               solver_kwargs=dict(normalize=False)).fit(X, y)
    print(f"minimize:  {res.nit} iterations, status {res.status}, "
          f"max |g| = {np.abs(res.jac).max():.0e}, w = {np.round(res.x, 3)}")
    print(f"Adam:      {STEPS} steps on one random block each")
    print(f"max |w_minimize - w_dask_ml| = {np.abs(res.x - model.coef_).max():.0e}")
    print(f"max |w_Adam - w_dask_ml|     = {np.abs(w - model.coef_).max():.0e}")
    return res, w, model


if __name__ == "__main__":
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      env={"NUMBA_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
        main(client)
