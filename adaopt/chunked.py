r"""Objectives over a Dask array's chunks: f and g computed where the chunks live.

An objective that is a sum over the rows of data too large for one machine,

.. math::

    F(w) = c \sum_{b=1}^{B} f_b(w), \qquad
    (f_b(w), \nabla f_b(w)) = \texttt{block\_fun}(w, X_b, y_b), \qquad
    c = 1 \text{ (scale='sum') or } 1/N \text{ (scale='mean')},

with :math:`X_b, y_b` the :math:`B` chunks (row blocks) of Dask arrays
persisted on a cluster and :math:`N` their rows, is evaluated by
:func:`chunked_objective`'s callable on the cluster: each block's
``block_fun`` runs on the worker that holds the block, the :math:`B`
results are added in a tree of sums there, and only the final ``(f, g)``
comes back.  What travels per call is one task graph holding :math:`w`,
and :math:`O(B)` vectors of :math:`w`'s length between the workers: never
the data.

Dask is imported when :func:`chunked_objective` is called, not with
adaopt (``pip install adaopt[distributed]`` installs it).
"""

import math
import numbers

import numpy as np

from . import _workers
from ._validation import check_choice, check_value

__all__ = ["chunked_objective", "ChunkedObjective", "SCALES"]

#: The values of ``scale``: the objective is the sum of the blocks' values,
#: or that sum divided by the number of rows.
SCALES = ("sum", "mean")


def chunked_objective(block_fun, *arrays, client=None, scale="sum", split_every=4):
    r"""An objective ``fun(w) -> (f, g)`` summed over the row blocks of Dask arrays.

    The arrays are persisted on the cluster once, here; each call of the
    returned objective then runs ``block_fun`` on every block where the
    block lives, adds the results on the cluster in a tree of sums of
    ``split_every`` each (:math:`\lceil \log_k B \rceil` levels for
    :math:`B` blocks, :math:`k` = ``split_every``), and gathers only the
    final pair:

    .. math::

        F(w) = c \sum_{b=1}^{B} f_b(w), \qquad
        \nabla F(w) = c \sum_{b=1}^{B} \nabla f_b(w), \qquad
        c = \begin{cases} 1 & \text{scale='sum'} \\ 1/N & \text{scale='mean'}
            \end{cases}

    for :func:`adaopt.minimize` with ``jac=True``.
    :meth:`ChunkedObjective.minibatch` gives the estimate of the same
    :math:`F` and :math:`\nabla F` from a few blocks, for an optimizer
    object's ``step``.

    Parameters
    ----------
    block_fun : callable
        ``block_fun(w, X_b, y_b, ...) -> (f_b, g_b)``: the value (a real
        scalar) and gradient (a 1-D array of ``w``'s shape) of block ``b``'s
        part of the sum, from NumPy blocks of the arrays in their order.
        Plain Python or Numba-jitted (a dispatcher pickles with its Python
        function and compiles once per worker process).  It travels to the
        workers with cloudpickle: define it at the top level of a module
        the workers can import (or in the ``__main__`` script).
    *arrays : dask.array.Array
        One or more arrays, chunked along axis 0 only (one chunk across
        every other axis), all with the same row chunks: block ``b`` of
        each array holds the same rows.  Chunk sizes must be known.
    client : distributed.Client, optional
        The cluster; by default the current client
        (``distributed.default_client()``).
    scale : {'sum', 'mean'}, default 'sum'
        ``'mean'`` divides by :math:`N`, the number of rows, which makes the
        objective's size (and ``gtol``'s meaning) independent of :math:`N`.
    split_every : int, default 4
        Partial results one node of the tree adds (dask.array's default for
        its reductions).  Each level costs a scheduler round trip, each node
        receives ``split_every`` vectors of ``w``'s length: 2 is a binary
        tree, ``nblocks`` one sum of everything on one worker.

    Returns
    -------
    ChunkedObjective
        ``fun(w) -> (f, g)``; ``g`` has ``w``'s dtype.

    Raises
    ------
    TypeError
        ``block_fun`` is not callable or cannot be pickled, an array is not a
        ``dask.array.Array``, ``client`` is not a ``distributed.Client``.
    ValueError
        No array, an array chunked along another axis than 0, row chunks
        that differ between the arrays or are unknown (NaN), an empty array,
        a bad ``scale``, ``split_every`` below 2, or no ``client`` given and
        none running.

    See Also
    --------
    adaopt.minimize : Takes ``fun`` with ``jac=True``.

    Notes
    -----
    :doc:`/guide/scaling` has a worked logistic regression (against
    ``dask_ml``) and the time of one evaluation at :math:`10^7` rows.

    The tree's sums are in float64, whatever the blocks' dtype; the final
    ``g`` is cast to ``w``'s dtype.  The order of the additions differs
    from a sequential sum over the rows, so ``f`` and ``g`` agree with the
    in-memory sum to rounding, not bitwise; the same ``w`` gives the same
    bits at every call (the tree is fixed).

    An exception raised by ``block_fun`` on a worker is raised again,
    unchanged in type and message, by the call (after the call's other
    tasks are cancelled): :func:`adaopt.minimize` then attaches its result
    so far to it, as for any objective.

    Examples
    --------
    Least squares over 3 blocks of 4 rows, by gradient descent on the mean
    (not run here: it starts a cluster)::

        import dask.array as da
        import numpy as np
        from distributed import Client

        import adaopt

        def block(w, X, y):
            r = X @ w - y
            return 0.5 * r @ r, X.T @ r

        client = Client(n_workers=2, threads_per_worker=1)
        X = da.random.default_rng(0).normal(size=(12, 2), chunks=(4, 2))
        y = X @ np.array([1.0, -2.0])
        fun = adaopt.chunked_objective(block, X, y, scale="mean")
        res = adaopt.minimize(fun, np.zeros(2), jac=True, method="sgd",
                              options=dict(lr=0.5, gtol=1e-8))
        res.x                                # [1, -2] to about 1e-8
    """
    if not callable(block_fun):
        raise TypeError(f"block_fun must be callable, got {block_fun!r}")
    check_choice("scale", scale, SCALES)
    if isinstance(split_every, bool) or not isinstance(split_every, numbers.Integral):
        raise TypeError(f"split_every must be an int, got {split_every!r}")
    if split_every < 2:
        raise ValueError(f"split_every must be >= 2, got {split_every!r}")
    import dask.array as da
    import distributed

    if not arrays:
        raise ValueError("chunked_objective needs at least one dask array after "
                         "block_fun")
    for i, arr in enumerate(arrays):
        if not isinstance(arr, da.Array):
            raise TypeError(f"arrays[{i}] must be a dask.array.Array "
                            f"(dask.array.from_array(a, chunks=...) makes one), "
                            f"got {type(arr).__name__}")
    rows = _check_row_chunks(arrays)
    if client is None:
        try:
            client = distributed.default_client()
        except ValueError:
            raise ValueError("client: no dask.distributed.Client is running; start "
                             "one or pass client=") from None
    elif not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a distributed.Client, got "
                        f"{type(client).__name__}")
    _workers.check_picklable(client, "block_fun", block_fun)
    return ChunkedObjective(block_fun, arrays, rows, client, scale, int(split_every))


def _check_row_chunks(arrays):
    """The row chunks shared by ``arrays``; ``ValueError`` naming the one that differs."""
    rows = arrays[0].chunks[0] if arrays[0].ndim else ()
    for i, arr in enumerate(arrays):
        name = f"arrays[{i}]"
        if arr.ndim == 0:
            raise ValueError(f"{name} must have at least one axis (rows), got a 0-d array")
        if any(math.isnan(c) for c in arr.chunks[0]):
            raise ValueError(f"{name} has unknown chunk sizes (NaN): call "
                             f"{name}.compute_chunk_sizes() first")
        for axis in range(1, arr.ndim):
            if len(arr.chunks[axis]) != 1:
                raise ValueError(
                    f"{name} is chunked along axis {axis} ({len(arr.chunks[axis])} "
                    f"chunks): the blocks must hold whole rows; rechunk it with "
                    f"{name}.rechunk({{{axis}: -1}})")
        if arr.chunks[0] != rows:
            raise ValueError(f"{name} has row chunks {arr.chunks[0]}, arrays[0] has "
                             f"{rows}: the blocks must hold the same rows; rechunk "
                             f"it with {name}.rechunk({{0: arrays[0].chunks[0]}})")
    if sum(rows) == 0:
        raise ValueError(f"arrays[0] has no rows (shape {arrays[0].shape})")
    return tuple(int(r) for r in rows)


class ChunkedObjective:
    r"""``fun(w) -> (f, g)`` over the blocks of persisted Dask arrays.

    Made by :func:`chunked_objective`; it holds the persisted blocks (they
    stay in the cluster's memory while this object lives).

    Attributes
    ----------
    nblocks : int
        :math:`B`, the number of row blocks.
    block_rows : tuple of int
        The rows of each block, :math:`n_1, \dots, n_B`.
    nrows : int
        :math:`N = \sum_b n_b`.
    scale : {'sum', 'mean'}
        As passed to :func:`chunked_objective`.
    split_every : int
        As passed to :func:`chunked_objective`.
    client : distributed.Client
        The cluster the blocks live on.
    """

    def __init__(self, block_fun, arrays, rows, client, scale, split_every):
        from dask.core import flatten
        from distributed import futures_of

        self.block_fun = block_fun
        self.client = client
        self.scale = scale
        self.split_every = split_every
        self.block_rows = rows
        self.nblocks = len(rows)
        self.nrows = sum(rows)
        # persist once: every later call sends tasks to these blocks
        self._persisted = client.persist(list(arrays))
        futures = {f.key: f for f in futures_of(self._persisted)}
        # one chunk across every axis but 0: the keys in row-block order
        per_array = [[futures[k] for k in flatten(arr.__dask_keys__())]
                     for arr in self._persisted]
        self._blocks = list(zip(*per_array))

    def __repr__(self):
        return (f"ChunkedObjective({getattr(self.block_fun, '__name__', self.block_fun)}, "
                f"nblocks={self.nblocks}, nrows={self.nrows}, scale={self.scale!r})")

    def __call__(self, w):
        """``(F(w), ∇F(w))`` over every block: ``f`` a float, ``g`` of ``w``'s dtype."""
        return self._evaluate(w, range(self.nblocks))

    def minibatch(self, w, blocks):
        r"""The estimate of ``(F(w), ∇F(w))`` from the blocks ``blocks`` alone.

        The blocks' sum scaled to all :math:`N` rows,

        .. math::

            \hat F(w) = c\,\frac{N}{n_S} \sum_{b \in S} f_b(w), \qquad
            n_S = \sum_{b \in S} n_b,

        and the same for the gradient: with ``scale='mean'`` the mean over
        the rows of the blocks in :math:`S`.  For blocks of equal rows drawn
        uniformly (with or without replacement) it is an unbiased estimate
        of :math:`F` and :math:`\nabla F`.  When the rows differ (a shorter
        last block), uniform draws weigh a block's rows by
        :math:`N / (B n_b)`; drawing block :math:`b` with probability
        :math:`n_b / N` makes one-block estimates unbiased again.

        Parameters
        ----------
        w : ndarray
            The point, 1-D float32 or float64.
        blocks : int or sequence of int
            Block indices in ``[0, nblocks)``; a block listed twice counts
            twice (as drawn with replacement).

        Returns
        -------
        f : float
        g : ndarray
            Of ``w``'s dtype and shape, for ``opt.step(g)``.
        """
        return self._evaluate(w, self._check_blocks(blocks))

    def _check_blocks(self, blocks):
        if isinstance(blocks, numbers.Integral) and not isinstance(blocks, bool):
            blocks = [blocks]
        try:
            idx = list(blocks)
        except TypeError:
            raise TypeError(f"blocks must be an int or a sequence of ints, got "
                            f"{blocks!r}") from None
        if not idx:
            raise ValueError("blocks must name at least one block")
        for b in idx:
            if isinstance(b, bool) or not isinstance(b, numbers.Integral):
                raise TypeError(f"blocks must hold ints, got {b!r}")
            if not 0 <= b < self.nblocks:
                raise ValueError(f"blocks must be in [0, {self.nblocks}), got {b!r}")
        return [int(b) for b in idx]

    def _evaluate(self, w, idx):
        from dask import delayed

        w = _check_w(w)
        rows = sum(self.block_rows[i] for i in idx)
        # One graph per call, sent in one message: a submit per task would
        # cost a scheduler round trip each (about 10 ms on a local cluster,
        # more than a block's work), and one graph pickles block_fun once.
        # pure=False: every call its own keys, never an earlier call's result.
        level = [delayed(_block_task, pure=False)(i, *self._blocks[i],
                                                  block_fun=self.block_fun, w=w)
                 for i in idx]
        k = self.split_every
        while len(level) > 1:
            groups = [level[i:i + k] for i in range(0, len(level), k)]
            level = [delayed(_add, pure=False)(*g) if len(g) > 1 else g[0]
                     for g in groups]
        future = self.client.compute(level[0])
        try:
            f, g = future.result()
        except BaseException:
            # an error or Ctrl-C: the call's tasks still queued or running
            # go (the scheduler drops what only this future needed)
            future.cancel()
            raise
        # c N / n_S with n_S the rows summed: 1 / n_S for the mean, N / n_S
        # for the sum, 1 (the tree's own bits) for the sum over every block
        if self.scale == "mean":
            f, g = f / rows, g / rows
        elif rows != self.nrows:
            f, g = f * (self.nrows / rows), g * (self.nrows / rows)
        return f, g.astype(w.dtype, copy=False)


def _check_w(w):
    """``w`` as a private 1-D float32/float64 array (it travels to the workers)."""
    if not isinstance(w, np.ndarray) or w.dtype not in (np.float32, np.float64):
        raise TypeError(f"w must be a float32 or float64 numpy.ndarray, got "
                        f"{getattr(w, 'dtype', type(w).__name__)}")
    if w.ndim != 1:
        raise ValueError(f"w must be 1-D, got shape {w.shape}")
    return w.copy()


def _block_task(index, *blocks, block_fun, w):
    """On a worker: block ``index``'s ``(f, g)``, ``f`` a float and ``g`` float64."""
    out = block_fun(w, *blocks)
    if not isinstance(out, tuple) or len(out) != 2:
        raise ValueError(f"block_fun must return a pair (f, g), got "
                         f"{type(out).__name__} at block {index}")
    f, g = out
    try:
        f = check_value(f)
    except ValueError as err:
        raise ValueError(f"block_fun at block {index}: {err}") from None
    g = np.asarray(g)
    if g.dtype.kind not in "biuf" or g.shape != w.shape:
        raise ValueError(f"block_fun must return g as a real array of w's shape "
                         f"{w.shape}, got dtype {g.dtype} and shape {g.shape} at "
                         f"block {index}")
    # the tree adds in float64 whatever the blocks' dtype
    return f, g.astype(np.float64)


def _add(*parts):
    """On a worker: one node of the tree, the sum of up to ``split_every`` ``(f, g)``."""
    f, g = parts[0][0], parts[0][1].copy()
    for part in parts[1:]:
        f += part[0]
        g += part[1]
    return f, g
