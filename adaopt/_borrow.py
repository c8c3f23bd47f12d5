"""Borrowed arrays: views without a reference count, for hot compiled loops.

Every array value in Numba's nopython code carries a pointer to its
reference-counted owner (the "meminfo").  Passing an array into a function
that Numba inlines, or taking a view of one, increments that count and
decrements it again later, each time with an atomic instruction.  Numba's
reference-count pruning removes some of these pairs, not those around the
inlined ``advance`` and step kernel of the compiled driver: there they were
a third of an iteration (22 atomic operations per iteration of a 2-element
problem, about 35 of its 93 ns, measured with ``perf``).

:func:`borrowed` returns the same array with a NULL meminfo, which Numba's
reference counting skips, and so does every view taken of it.  Such an array
is only valid while the array it was borrowed from is alive: use it only
inside the function that received the original, and never return it, store
it or hand it to user code.  Where the original is a local of a function
that Numba inlines (``rmsprop_njit``'s work arrays), its last use may be the
call to :func:`borrowed`, and Numba then frees it while the borrowed view is
still read: :func:`keep_alive` after the last use of the view keeps it.
"""

from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["borrowed", "keep_alive"]


@intrinsic
def borrowed(typingctx, array):
    """``array`` without its reference count (see the module docstring)."""
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        source = context.make_array(array)(context, builder, value=args[0])
        out = context.make_array(array)(context, builder)
        out.meminfo = cgutils.get_null_value(out.meminfo.type)
        out.parent = cgutils.get_null_value(out.parent.type)
        for field in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(out, field, getattr(source, field))
        return out._getvalue()

    return array(array), codegen


@intrinsic
def keep_alive(typingctx, array):
    """Use ``array`` here, so that Numba keeps it alive up to this point.

    A call, so that dead-code elimination keeps it; its code is empty.
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        return context.get_dummy_value()

    return types.none(array), codegen
