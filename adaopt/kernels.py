"""Compiled per-element loops of the RMSprop family.

This module knows nothing of optimizers, schedules or scipy: it holds the
fused Numba loops and the small table of scalars (``HP``) they read.

Design notes
------------
* One pass over memory per step: every element reads ``theta, grad, v``
  (plus ``m`` and ``b`` when centered / momentum are on) and writes the state
  back once.  No temporary the size of ``theta`` is ever allocated.
* Options that add a state array (centered, momentum) select a *separate*
  compiled loop, so the plain loop carries no dead loads or stores and
  vectorizes.  Scalar options (eps placement, weight decay, maximize, value
  clipping, nesterov, bias correction) are scalars in ``hp``.  When all of
  them are neutral, each loop runs a second, *plain* copy of its body that
  leaves them out (chosen once per call, at run time): in the general body
  they cost about a third of a float32 step even at neutral values.  The
  decoupled weight decay is in both bodies (:func:`decayed`), so AdamW's
  default runs the plain one.  A run whose settings decide the body of
  every step compiles that one alone (:func:`with_bodies`; the decision is
  the method's ``kernel_bodies``), a third less of a first step's compile.
* Inner loops index with an unsigned integer: a signed index that does not
  provably start at 0 keeps Numba's negative-index wraparound in the loop,
  and then LLVM does not vectorize it at all (``python -m adaopt bench
  --asm`` checks every loop's assembly for packed square roots; code
  loaded from the cache has no assembly to show, so it compiles afresh).
* A non-finite element is detected with bitwise ``&``/``|`` and written
  with a select whose kept value is multiplied by a runtime one: ``x if ok
  else old`` alone becomes a masked store, microcoded and slow on AMD.
* All scalars travel in one small array ``hp`` of the parameter dtype: a
  float32 step stays float32 end to end (a Python float inside the loop would
  promote every element to float64), and the dispatcher sees six arguments
  instead of twenty, which keeps the per-call overhead low.
* ``error_model='numpy'`` drops the division-by-zero check Numba adds by
  default; that check blocks SIMD vectorization of ``g / d``.
* Every loop exists in a serial and a ``prange`` flavour compiled from the
  same source; per-element arithmetic does not depend on the loop order, so
  both give bitwise identical results.  The global norm used by
  ``clip_norm`` is summed in fixed blocks in a fixed order for the same
  reason.
* Kernels compile lazily on first use and are cached on disk
  (``cache=True``): ``import adaopt`` compiles nothing.
"""

import collections
import enum
import math

import numba
import numpy as np
from numba.extending import overload

from . import _numba_cache, _threading

__all__ = [
    "Frame",
    "FRAME_SIZE",
    "frame_scalars",
    "frame_is_plain",
    "decayed",
    "HP",
    "HP_SIZE",
    "LR_SLOT",
    "SIGN_SLOT",
    "PARALLEL_THRESHOLD",
    "NORM_BLOCK",
    "rmsprop_step",
    "masked_sumsq",
    "clip_scale",
    "get_step_kernel",
    "fused_step_loop",
    "one_flavour_kernel",
    "unmasked_loop",
    "with_bodies",
    "is_plain_at",
    "BODIES",
    "prepared_gradient",
]

#: Below this many elements a step runs the serial loop: starting a parallel
#: region costs about 3 µs, more than it saves on a short vector.  Measured
#: with ``python -m adaopt bench --threshold`` (serial and parallel loop
#: timed in interleaved rounds at n = 2**10 ... 2**18) on the 2-core AMD EPYC
#: (znver3) VM adaopt is developed on: the parallel loop first wins at 2**13
#: for float64 (1.09x) and 2**14 for float32 (1.06x; float64 1.35x there),
#: and at 2**15 by 1.2x (float32) and 1.6x (float64).  Machines with more
#: cores or a slower thread start-up move the crossover; re-measure there.
PARALLEL_THRESHOLD = 16384

#: Elements per block of the step loop (the unit of work of a thread).
STEP_BLOCK = 4096

#: Block length of the deterministic sum of squares behind ``clip_norm``.
NORM_BLOCK = 16384


class Frame(enum.IntEnum):
    """The slots every method's scalar table ``hp`` begins with: the frame's.

    What every step loop reads besides its method's own scalars: the
    gradient's preparation (:func:`prepared_gradient`), the decoupled weight
    decay, the non-finite policy and the typed constants.  The iteration
    (:mod:`adaopt._iteration`) reads the sign of the step for its projected
    gradient, and the learning-rate control writes the rate, without knowing
    the method.  A method's own slots follow, from :data:`FRAME_SIZE` on
    (``HP`` of each kernel module); :func:`adaopt._method.fill_frame` fills
    these.
    """

    LR = 0          # the step's rate (a method may fold per-step factors in)
    SIGN = 1        # -1.0 to maximize, else 1.0
    CLIP = 2        # clip_value (inf when off)
    SCALE = 3       # clip_norm factor min(1, c / ||g||) (1 when off)
    WD = 4          # coupled weight decay (0 when decoupled or off)
    LR_WD = 5       # lr * decoupled weight decay (0 when coupled or off)
    PROPAGATE = 6   # 1.0 to write non-finite results, else 0.0
    ZERO = 7        # a typed zero, so the loop never sees a float64 literal
    ONE = 8         # a typed one (see the kept-value note in the loop)


#: Where a method's own slots of ``hp`` begin.
FRAME_SIZE = len(Frame)
#: The rate's and the sign's slots (``Frame.LR``, ``Frame.SIGN``) as plain ints.
LR_SLOT = int(Frame.LR)
SIGN_SLOT = int(Frame.SIGN)


@numba.njit(inline="always")
def frame_scalars(hp):
    """``(sign, clip, scale, wd, lr_wd, propagate, zero, one)`` of the frame's slots.

    Read once before a block's loop; ``propagate`` as a bool.
    """
    return (hp[Frame.SIGN], hp[Frame.CLIP], hp[Frame.SCALE], hp[Frame.WD],
            hp[Frame.LR_WD], hp[Frame.PROPAGATE] != hp[Frame.ZERO], hp[Frame.ZERO],
            hp[Frame.ONE])


def frame_is_plain(hp):
    """Whether the frame's gradient options are neutral: no maximize, clipping or coupled decay.

    A method whose own scalars have neutral values too (RMSprop's bias
    correction, Adam's ``eps_root``) adds those tests to its ``is_plain``.
    A plain function that nopython code calls too (its ``overload`` below),
    so that a method's ``is_plain`` also runs as NumPy code from Python
    (:func:`is_plain_at`) without compiling anything.
    """
    return ((hp[Frame.SIGN] == hp[Frame.ONE]) & math.isinf(hp[Frame.CLIP])
            & (hp[Frame.SCALE] == hp[Frame.ONE]) & (hp[Frame.WD] == hp[Frame.ZERO]))


@overload(frame_is_plain, inline="always")
def _frame_is_plain_nopython(hp):
    return frame_is_plain


@numba.njit(inline="always")
def decayed(th, lr_wd, zero):
    """``th - lr_wd * th``, the decoupled weight decay, or ``th`` when it is off.

    In both bodies of a loop: the decay is not a gradient option, so a
    decoupled decay (AdamW's default) keeps the plain body.  A select on
    ``lr_wd``, the same for every element, not ``th - 0 * th``: with no decay
    an inf parameter (``nonfinite='propagate'``) stays inf, as PyTorch's
    (which decays only when ``weight_decay != 0``), rather than becoming NaN.
    """
    return th - lr_wd * th if lr_wd != zero else th


class HP(enum.IntEnum):
    """RMSprop's own slots of ``hp``, after the frame's (:class:`Frame`).

    An ``IntEnum``: Numba reads ``HP.RHO`` in compiled code as the constant
    it is, so there is no parallel list of integer aliases.  What each slot
    holds is decided in one place, the RMSprop method description
    (:mod:`adaopt._rmsprop`); the loops only read them.
    """

    RHO = FRAME_SIZE    # decay of the moving averages
    ONE_MINUS_RHO = 10  # 1 - rho, rounded once from float64 (as PyTorch does)
    EPS_OUT = 11        # eps added after the sqrt (0 when eps_in_sqrt)
    EPS_IN = 12         # eps added inside the sqrt (0 unless eps_in_sqrt)
    MU = 13             # momentum
    NESTEROV = 14       # 1.0 for nesterov, else 0.0
    BIAS = 15           # 1 / (1 - rho**t) (1 when bias correction is off)


#: Length of the RMSprop ``hp`` array.
HP_SIZE = FRAME_SIZE + len(HP)


@numba.njit(inline="always", error_model="numpy")
def prepared_gradient(g, th, sign, clip, scale, wd, zero):
    """The gradient element every method's step starts from (not ``plain``).

    In this order: the sign (``-1`` to maximize), ``clip_value`` (``clip``,
    inf when off), the ``clip_norm`` factor (``scale``), coupled weight
    decay ``wd * th``.  Inlined into every method's block; ``zero`` is the
    dtype's typed zero.
    """
    g = g * sign
    # written with comparisons, not min/max, so that NaN stays NaN
    g = clip if g > clip else (-clip if g < -clip else g)
    g = g * scale
    # a select, not ``+ 0 * th``: with no weight decay a NaN or inf
    # parameter (nonfinite='propagate') must not reach ``g`` and the state
    return g + wd * th if wd != zero else g


def _fused_step_loop(theta, grad, S, hp):
    """A method's fused step, the template of :func:`fused_step_loop`.

    ``_plain_body``, ``_general_body``, ``_is_plain`` and ``_PARALLEL`` are
    globals bound per build (:func:`adaopt._numba_cache.rebind`): Numba
    folds them as constants, so each build carries only its own method's
    and flavour's arithmetic.
    """
    n = theta.shape[0]
    # Checked here, where it costs nothing, rather than with
    # np.shares_memory in Python (a third of a small step's overhead).
    # Both are contiguous, so overlapping byte ranges share memory.
    if n > 0 and grad.shape[0] > 0:
        t0 = theta.ctypes.data
        g0 = grad.ctypes.data
        if t0 < g0 + grad.nbytes and g0 < t0 + theta.nbytes:
            raise ValueError("grad must not share memory with params")
    plain = _is_plain(hp)                                    # noqa: F821 (bound)
    if not _PARALLEL:                                        # noqa: F821
        # One loop over all elements: the same per-element code as a
        # block (so the same bits), without the block loop around it,
        # which costs a quarter of a 2-element step (about 20 ns) -- a
        # fifth of an iteration of the compiled driver.
        if plain:
            return _plain_body(theta, grad, S, hp, 0, n)     # noqa: F821
        return _general_body(theta, grad, S, hp, 0, n)       # noqa: F821
    anybad = False
    # Blocks, the unit of work of a thread: each is the same simple
    # vectorizable loop as the serial build's.
    for blk in numba.prange((n + STEP_BLOCK - 1) // STEP_BLOCK):
        lo = blk * STEP_BLOCK
        count = min(STEP_BLOCK, n - lo)
        if plain:
            blockbad = _plain_body(theta, grad, S, hp, lo, count)     # noqa: F821
        else:
            blockbad = _general_body(theta, grad, S, hp, lo, count)   # noqa: F821
        # parfors know ``max`` as a reduction, not ``|``
        anybad = max(anybad, blockbad)
    return anybad


#: What a step loop carries (:func:`fused_step_loop`'s ``bodies``): both
#: bodies, chosen per call by ``is_plain(hp)``, or one of them alone.
BODIES = ("both", "plain", "general")


def fused_step_loop(name, step, is_plain, parallel, masked=True, flags=None, bodies="both"):
    """Build a method's fused step loop ``loop(theta, grad, S, hp) -> bool``.

    The frame every method shares: the check that ``grad`` does not overlap
    ``theta``, the choice of the *plain* body (``is_plain(hp)``: every
    scalar option neutral), and the loop, serial or over ``STEP_BLOCK``
    blocks with ``prange``; both run the same per-element code, so they
    give the same bits.  ``step(theta, grad, S, hp, lo, count)`` is the
    method's per-element update of ``count`` elements from ``lo`` (a plain
    function; ``S`` its state rows) and returns whether an element was
    skipped.  It reads the build's constants as globals: ``_PLAIN`` (the
    plain body), ``_MASKED`` and the flavour's ``flags`` (a dict of global
    names, ``{'_CENTERED': True, ...}``).  Each body is ``step`` with those
    bound (:func:`step_body`), so Numba prunes the branches they decide
    before it inlines the body: inlining copies the IR, and a body whose
    dead branches are still there costs about twice as much to compile.
    ``name``, the method's title and the flavour (``'RMSprop_01'``), names
    the build apart in the disk cache and in the first-compile notice.  The
    result is cached on disk (:func:`njit_cached`).  ``masked=False``
    builds the benchmark's reference instead (:func:`unmasked_loop`).

    ``bodies`` (:data:`BODIES`) is which bodies the loop carries: a run whose
    options decide the choice for every step (:meth:`Method.kernel_bodies
    <adaopt._method.Method.kernel_bodies>`) compiles one body, a third less
    compile time than two.  Both bodies give the same bits wherever the
    plain one applies, so the build changes no result; a ``'plain'`` build
    raises ``ValueError`` for a table that is not plain rather than step
    without the options, and a ``'general'`` build runs the general body
    always.
    """
    if bodies not in BODIES:
        raise ValueError(f"bodies must be one of {BODIES}, got {bodies!r}")
    flags = dict(flags or {})
    suffix = (f"_{name}_{'parallel' if parallel else 'serial'}"
              f"{'' if bodies == 'both' else '_' + bodies}{'' if masked else '_unmasked'}")
    choose = {"both": is_plain, "general": _never_plain,
              "plain": numba.njit(_numba_cache.rebind(_plain_or_raise, f"_{name}",
                                                      _method_is_plain=is_plain),
                                  inline="always")}[bodies]
    loop = _numba_cache.rebind(
        _fused_step_loop, suffix, _is_plain=choose, _PARALLEL=bool(parallel),
        _plain_body=(_no_body if bodies == "general" else
                     step_body(step, f"_{name}_plain", True, masked, flags)),
        _general_body=(_no_body if bodies == "plain" else
                       step_body(step, f"_{name}_general", False, masked, flags)))
    loop = _numba_cache.njit_cached(loop, parallel=parallel, nogil=True,
                                    error_model="numpy")
    _recipes[loop] = _Recipe(name, step, is_plain, bool(parallel), flags, bodies, masked)
    return loop


def _plain_or_raise(hp):
    """The choice of a loop built with the plain body alone: it or an error."""
    if not _method_is_plain(hp):     # noqa: F821 (bound per build)
        raise ValueError("a step loop built with the plain body alone got a scalar "
                         "option that is not neutral")
    return True


@numba.njit(inline="always")
def _never_plain(hp):
    """The choice of a loop built with the general body alone."""
    return False


@numba.njit(inline="always")
def _no_body(theta, grad, S, hp, lo, count):
    """Where a single-body loop has no body: its choice never takes this branch."""
    return False


def step_body(step, suffix, plain, masked, flags):
    """``step`` with its build constants bound, to inline into a loop."""
    suffix += "" if masked else "_unmasked"
    return numba.njit(_numba_cache.rebind(step, suffix, _PLAIN=bool(plain),
                                          _MASKED=bool(masked), **flags),
                      inline="always", error_model="numpy")


#: How each step loop was built (:func:`fused_step_loop`), for its variants.
_Recipe = collections.namedtuple(
    "_Recipe", "name step is_plain parallel flags bodies masked")
_recipes = {}
_variants = {}


def _variant(loop, bodies, masked):
    r = _recipes[loop]
    return _numba_cache.built_once(
        _variants, (r.name, r.parallel, bodies, masked), lambda: fused_step_loop(
            r.name, r.step, r.is_plain, r.parallel, masked=masked, flags=r.flags,
            bodies=bodies))


def with_bodies(loop, bodies):
    """The step loop ``loop`` (built by :func:`fused_step_loop`) carrying ``bodies``.

    Each variant is built once; ``loop`` itself when it carries them.
    """
    recipe = _recipes[loop]
    return loop if recipe.bodies == bodies else _variant(loop, bodies, recipe.masked)


def is_plain_at(loop, hp):
    """Whether ``loop`` takes its plain body for the table ``hp`` (from Python).

    Runs the method's ``is_plain`` as NumPy code: nothing compiles.
    """
    is_plain = _recipes[loop].is_plain
    return bool(getattr(is_plain, "py_func", is_plain)(hp))


def unmasked_loop(loop):
    """The same step loop as ``loop`` without its non-finite mask.

    Every element's result is written, whatever it is, and nothing is
    reported: not a step anyone should run, but the reference that shows
    what the mask costs (``python -m adaopt bench --method NAME``: the
    targets ask a step for at least 0.8 of it at 1e5-1e6).  ``loop`` is a
    loop that :func:`fused_step_loop` built (a method's
    ``kernel(flavour, parallel)``), with the same bodies; each unmasked
    build is made once.
    """
    return _variant(loop, _recipes[loop].bodies, False)


def one_flavour_kernel(name, step, is_plain=frame_is_plain):
    """``get_step_kernel(parallel)`` of a method whose loop has one flavour.

    ``step(theta, grad, S, hp, lo, count)`` is the method's per-element
    update (see :func:`fused_step_loop`; no flavour flags); ``is_plain``
    decides the plain body (:func:`frame_is_plain` unless the method has
    neutral values of its own to test).  Each build is made once
    (:func:`fused_step_loop`, named ``name``).
    """
    loops = {}

    def get_step_kernel(parallel):
        """The compiled step loop, serial or parallel (built once each)."""
        key = bool(parallel)
        return _numba_cache.built_once(loops, key, lambda: fused_step_loop(
            name, step, is_plain, key))
    return get_step_kernel


def _step_block(theta, grad, S, hp, lo, count):
    """Update ``count`` elements from ``lo``; return whether one was skipped.

    The body of :func:`fused_step_loop`: ``_CENTERED``, ``_MOMENTUM``,
    ``_PLAIN`` and ``_MASKED`` are constants of each build, so Numba prunes
    the branches of other flavours before inlining it.  The state rows of
    ``S`` are the method's state names in order, the ones in use only (the
    others alias ``v`` and are never touched).  ``plain`` means every scalar
    option is neutral (no maximize, clipping, coupled weight decay, bias
    correction, eps inside the sqrt; the decoupled decay is in both
    bodies): those operations are left out rather than done with neutral
    values, and a non-finite gradient
    needs no test of its own, since it makes ``v`` non-finite (``g * g`` is
    inf or NaN, and ``(1 - rho) * inf`` too, even for ``1 - rho == 0``).
    """
    centered = _CENTERED    # noqa: F821 (bound per build)
    momentum = _MOMENTUM    # noqa: F821
    plain = _PLAIN          # noqa: F821
    masked = _MASKED        # noqa: F821
    v = S[0]
    m = S[1] if centered else v
    b = S[2 if centered else 1] if momentum else v
    lr = hp[Frame.LR]
    rho = hp[HP.RHO]
    one_minus_rho = hp[HP.ONE_MINUS_RHO]
    eps_out = hp[HP.EPS_OUT]
    eps_in = hp[HP.EPS_IN]
    mu = hp[HP.MU]
    bias = hp[HP.BIAS]
    sign, clip, scale, wd, lr_wd, propagate, zero, one = frame_scalars(hp)
    nesterov = hp[HP.NESTEROV] != zero
    blockbad = False
    for k in range(count):
        # An unsigned index: a signed one that does not provably start at 0
        # keeps Numba's negative-index wraparound in the loop, and LLVM then
        # does not vectorize the loop at all.
        i = numba.uint64(lo + k)
        th = theta[i]
        g = grad[i]
        finite_g = True
        if not plain:
            finite_g = math.isfinite(g)
            g = prepared_gradient(g, th, sign, clip, scale, wd, zero)
        vo = v[i]
        vi = rho * vo + one_minus_rho * g * g
        if centered:
            mo = m[i]
            mi = rho * mo + one_minus_rho * g
            mh = mi if plain else mi * bias
            s = (vi if plain else vi * bias) - mh * mh
            s = max(s, zero)
        else:
            s = vi if plain else vi * bias
        u = g / ((math.sqrt(s) if plain else math.sqrt(s + eps_in)) + eps_out)
        if momentum:
            bo = b[i]
            bi = mu * bo + u
            u = u + mu * bi if nesterov else bi
        new = decayed(th, lr_wd, zero) - lr * u
        # Bitwise ops, not ``and``/``or``: short-circuit branches keep LLVM
        # from vectorizing.
        ok = (finite_g & math.isfinite(new) & math.isfinite(vi)) | propagate | (not masked)
        blockbad |= not ok
        # The kept value is multiplied by a runtime one: ``x if ok else
        # v[i]`` would become a masked store, which is microcoded and
        # several times slower on AMD cores.  ``x * 1`` is exact.
        theta[i] = new if ok else th * one
        v[i] = vi if ok else vo * one
        if centered:
            m[i] = mi if ok else mo * one
        if momentum:
            b[i] = bi if ok else bo * one
    return blockbad


@numba.njit(inline="always")
def _rmsprop_is_plain(hp):
    return (frame_is_plain(hp) & (hp[HP.BIAS] == hp[Frame.ONE])
            & (hp[HP.EPS_IN] == hp[Frame.ZERO]))


def _make_sumsq(parallel):
    """Build the deterministic blocked sum of squares behind ``clip_norm``."""

    def sumsq(grad, clip):
        n = grad.shape[0]
        nblocks = (n + NORM_BLOCK - 1) // NORM_BLOCK
        partial = np.zeros(nblocks, dtype=np.float64)
        bad = np.zeros(nblocks, dtype=np.int64)
        flavour = parallel  # noqa: F841  (cache key, as in the step loop)
        for k in numba.prange(nblocks):
            lo = k * NORM_BLOCK
            hi = min(lo + NORM_BLOCK, n)
            acc = 0.0
            nb = 0
            for i in range(lo, hi):
                g = np.float64(grad[i])
                if math.isfinite(g):
                    g = min(max(g, -clip), clip)
                    acc += g * g
                else:
                    nb += 1
            partial[k] = acc
            bad[k] = nb
        total = 0.0
        nbad = 0
        for k in range(nblocks):
            total += partial[k]
            nbad += bad[k]
        return total, nbad

    return _numba_cache.njit_cached(sumsq, parallel=parallel, nogil=True,
                                    error_model="numpy")


_step_loops = {}
_sumsq_loops = {}


def get_step_kernel(centered, momentum, parallel):
    """Return the compiled step loop for one combination of flags.

    The dispatcher is created on first request; compilation itself happens
    on its first call, for the dtype it is called with.
    """
    # Looked up as given first (True, 1 and np.True_ hash alike): this runs
    # on every step, where a small step costs about a microsecond in all.
    kernel = _step_loops.get((centered, momentum, parallel))
    if kernel is not None:
        return kernel
    key = (bool(centered), bool(momentum), bool(parallel))
    return _numba_cache.built_once(_step_loops, key, lambda: fused_step_loop(
        f"RMSprop_{int(key[0])}{int(key[1])}", _step_block, _rmsprop_is_plain, key[2],
        flags={"_CENTERED": key[0], "_MOMENTUM": key[1]}))


def _get_sumsq(parallel):
    return _numba_cache.built_once(_sumsq_loops, parallel,
                                   lambda: _make_sumsq(parallel))


def use_parallel(n):
    """Whether a vector of ``n`` elements takes the parallel loop."""
    return n >= PARALLEL_THRESHOLD


def masked_sumsq(grad, clip=np.inf, parallel=None):
    """Sum of squares of the finite, value-clipped entries of ``grad``.

    Returns ``(sumsq, nbad)``: the float64 sum of ``clip(g, -c, c)**2`` over
    finite entries, and the count of non-finite entries.  The sum runs over
    fixed blocks of ``NORM_BLOCK`` elements in a fixed order, so the serial
    and parallel builds return the same bits.
    """
    if parallel is None:
        parallel = use_parallel(grad.shape[0])
    clip = float(clip)
    if parallel:
        # _threading decides whether a parallel region is safe right now.
        return _threading.run_kernel(_get_sumsq(True), _get_sumsq(False), grad, clip)
    return _get_sumsq(False)(grad, clip)


def _clip_scale_from(grad, sumsq, clip_value, clip_norm):
    r"""The ``clip_norm`` factor from the blocked sum of squares ``sumsq``.

    :math:`\min(1, c_n / \lVert g\rVert_2)` over the finite, value-clipped
    entries, 1 for a zero norm.  When the squares overflow (``sumsq`` is inf:
    entries above about 1e154 in float64) the norm is recomputed with every
    entry divided by the largest magnitude first, so that the factor is the
    right small number instead of ``c_n / inf = 0`` (which would freeze the
    run).  The one rule of every path (the optimizer object and the compiled
    loops): do not write it twice.
    """
    if sumsq < math.inf:
        norm = math.sqrt(sumsq)
        return min(1.0, clip_norm / norm) if norm > 0.0 else 1.0
    n = grad.shape[0]
    big = 0.0
    for i in range(n):
        g = np.float64(grad[i])
        if math.isfinite(g):
            big = max(big, min(abs(g), clip_value))
    acc = 0.0
    for i in range(n):
        g = np.float64(grad[i])
        if math.isfinite(g):
            r = min(max(g, -clip_value), clip_value) / big
            acc += r * r
    root = math.sqrt(acc)          # in [1, sqrt(n)]
    norm = big * root
    if norm < math.inf:
        return min(1.0, clip_norm / norm)
    return min(1.0, (clip_norm / root) / big)   # the norm itself overflows


_clip_scale_rule = numba.njit(_clip_scale_from, inline="always", error_model="numpy")
_sumsq_serial = _get_sumsq(False)
_sumsq_parallel = _get_sumsq(True)


def _clip_scale_serial(grad, clip_value, clip_norm):
    total, _ = _sumsq_serial(grad, clip_value)
    return _clip_scale_rule(grad, total, clip_value, clip_norm)


def _clip_scale_parallel(grad, clip_value, clip_norm):
    total, _ = _sumsq_parallel(grad, clip_value)
    return _clip_scale_rule(grad, total, clip_value, clip_norm)


#: ``clip_scale_serial(grad, clip_value, clip_norm) -> factor`` and its
#: parallel build: the blocked sum of squares and :func:`_clip_scale_from` in
#: one compiled call (what the methods' compiled preparation of a step calls;
#: ``clip_value`` inf when off).  Both give the same bits; the parallel one
#: must be started through :func:`adaopt._threading.run_kernel`.
clip_scale_serial = _numba_cache.njit_cached(_clip_scale_serial, nogil=True,
                                             error_model="numpy")
clip_scale_parallel = _numba_cache.njit_cached(_clip_scale_parallel, nogil=True,
                                               error_model="numpy")


def _no_clip_scale(grad, clip_value, clip_norm):
    if clip_norm < math.inf:
        raise ValueError("this build of step_scalars was made without clip_norm")
    return 1.0


#: What a preparation of a step built for runs without ``clip_norm`` calls
#: instead of :data:`clip_scale_serial`: nothing to compile for a norm it
#: never takes (the sum of squares and the rule cost 0.65 s of a first
#: call), and an error, not a wrong factor, if handed a run that clips.
no_clip_scale = _numba_cache.njit_cached(_no_clip_scale, nogil=True)


def clip_scale(grad, clip_value=math.inf, clip_norm=math.inf, parallel=None):
    r"""The factor ``clip_norm`` multiplies the gradient by, overflow-safe.

    :math:`\min(1, c_n / \lVert \operatorname{clip}(g, -c_v, c_v)\rVert_2)`
    over the finite entries of ``grad`` (1 for a zero norm), with the norm
    summed as :func:`masked_sumsq` does and recomputed with rescaled entries
    when the squares overflow.  The compiled preparation of a step calls the
    same rule (:data:`clip_scale_serial`), so every path gets the same bits.
    """
    if parallel is None:
        parallel = use_parallel(grad.shape[0])
    clip_value, clip_norm = float(clip_value), float(clip_norm)
    if parallel:
        return _threading.run_kernel(clip_scale_parallel, clip_scale_serial,
                                     grad, clip_value, clip_norm)
    return clip_scale_serial(grad, clip_value, clip_norm)


def rmsprop_step(theta, grad, S, hp, centered, momentum, parallel=None):
    """Run one fused RMSprop step in place; return whether any element was skipped.

    Parameters
    ----------
    theta, grad : ndarray
        1-D C-contiguous arrays of one float dtype and one length.  ``theta``
        is updated in place; ``grad`` is only read.
    S : ndarray
        The state, a C-contiguous 2-D array of the dtype with one row per
        state array in use, in the order of RMSprop's state names: ``v``,
        then ``m`` when ``centered``, then ``b`` when ``momentum``.  Updated
        in place.
    hp : ndarray
        Scalars of the step, laid out as in :class:`HP`, same dtype.
    centered, momentum : bool
        Select the compiled loop.
    parallel : bool or None
        ``None`` picks the parallel loop from ``PARALLEL_THRESHOLD``.

    Returns
    -------
    bool
        True when some element's gradient or update was not finite; such
        elements are left unchanged, their state too, unless
        ``hp[Frame.PROPAGATE]`` is set.

    Raises
    ------
    ValueError
        When ``grad`` shares memory with ``theta`` (checked by the compiled
        loop before it changes anything).
    """
    if parallel is None:
        parallel = use_parallel(theta.shape[0])
    if parallel:
        # One parallel region at a time, none in a fork of a GNU OpenMP
        # process; otherwise the serial build (same bits).  See _threading.
        return _threading.run_kernel(get_step_kernel(centered, momentum, True),
                                     get_step_kernel(centered, momentum, False),
                                     theta, grad, S, hp)
    return get_step_kernel(centered, momentum, False)(theta, grad, S, hp)
