"""Flat parameters for models with several arrays.

:class:`ParamLayout` lays named arrays of given shapes end to end in one
contiguous 1-D buffer and hands out shaped views into it, so that one
:class:`adaopt.RMSprop` trains a whole model, and a gradient buffer with the
same layout is filled array by array by a hand-written backward pass.
"""

import math

import numpy as np

from ._validation import FLOAT_DTYPES

__all__ = ["ParamLayout"]


class ParamLayout:
    """Named shapes laid end to end in one flat buffer.

    Parameters
    ----------
    shapes : mapping of str to tuple of int, optional
        Array names and shapes, in layout order.  May also be given as
        keyword arguments.
    dtype : {float64, float32}, default float64
        dtype of the buffers made by :meth:`zeros`.

    Examples
    --------
    >>> import numpy as np
    >>> from adaopt import ParamLayout
    >>> layout = ParamLayout(W=(3, 2), b=(2,))
    >>> layout.size
    8
    >>> flat = layout.zeros()
    >>> p = layout.views(flat)
    >>> p["W"][:] = 1.0
    >>> flat
    array([1., 1., 1., 1., 1., 1., 0., 0.])
    >>> p["b"].base is flat
    True
    """

    def __init__(self, shapes=None, /, *, dtype=np.float64, **more):
        items = list(dict(shapes or {}).items()) + list(more.items())
        if not items:
            raise ValueError("shapes must name at least one array")
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        self.dtype = dtype
        self._slices = {}
        self._shapes = {}
        offset = 0
        for name, shape in items:
            if not isinstance(name, str):
                raise TypeError(f"array names must be strings, got {name!r}")
            if name in self._shapes:
                raise ValueError(f"array name {name!r} is given twice")
            shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
            if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1
                   for d in shape):
                raise ValueError(f"shape of {name!r} must be positive integers, "
                                 f"got {shape!r}")
            size = math.prod(shape)
            self._shapes[name] = tuple(int(d) for d in shape)
            self._slices[name] = slice(offset, offset + size)
            offset += size
        self.size = offset

    @property
    def shapes(self):
        """Names and shapes, in layout order."""
        return dict(self._shapes)

    def zeros(self):
        """A new zero flat buffer of this layout."""
        return np.zeros(self.size, dtype=self.dtype)

    def views(self, flat):
        """Shaped views into ``flat`` by name: writing a view writes ``flat``."""
        if not isinstance(flat, np.ndarray):
            raise TypeError(f"flat must be a numpy.ndarray (the views write into "
                            f"it), got {type(flat).__name__}")
        if flat.shape != (self.size,):
            raise ValueError(f"flat must be a 1-D array of {self.size} elements, "
                             f"got shape {flat.shape}")
        if not flat.flags.c_contiguous:
            raise ValueError("flat must be C-contiguous")
        return {name: flat[sl].reshape(self._shapes[name])
                for name, sl in self._slices.items()}

    def pack(self, arrays, out=None):
        """Copy named arrays into a flat buffer (a new one unless ``out``).

        Raises ``ValueError`` for missing or unexpected names, a wrong shape,
        an ``out`` that is not a writable flat buffer of this layout, or a
        value that does not convert to its dtype; ``out`` is then left
        unchanged (nothing is written before every value has converted).
        """
        missing = sorted(set(self._shapes) - set(arrays))
        extra = sorted(set(arrays) - set(self._shapes))
        if missing or extra:
            raise ValueError(f"arrays must have exactly the names {list(self._shapes)};"
                             f" missing {missing}, unexpected {extra}")
        values = {name: np.asarray(arrays[name]) for name in self._shapes}
        for name, value in values.items():
            if value.shape != self._shapes[name]:
                raise ValueError(f"{name!r} must have shape {self._shapes[name]}, "
                                 f"got {value.shape}")
        if out is None:
            flat = self.zeros()
            for name, view in self.views(flat).items():
                view[...] = values[name]
            return flat
        self.views(out)                   # checks out's type, shape and layout
        if not out.flags.writeable:
            raise ValueError("out must be writable")
        # A failed pack leaves ``out`` alone: the values are converted (with
        # the casting of an assignment) into a staging buffer first, where a
        # value that does not convert (e.g. a string) raises, and only a
        # complete buffer is copied into ``out``.
        staging = np.empty(self.size, dtype=out.dtype)
        for name, view in self.views(staging).items():
            view[...] = values[name]
        out[...] = staging
        return out

    def __repr__(self):
        inner = ", ".join(f"{k}={v}" for k, v in self._shapes.items())
        return f"ParamLayout({inner}, dtype={self.dtype})"
