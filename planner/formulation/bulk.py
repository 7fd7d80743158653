"""Making millions of small objects at once, as a large model's build does."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for a block that makes millions of objects and no
    garbage cycles: it would otherwise rescan the growing heap again and again (on a model
    of a million columns, half the build time). Cycles made meanwhile are collected later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def objects(items: Iterable[Any]) -> np.ndarray:
    """A one-dimensional array holding these objects as they are (the leading None keeps
    numpy from reading any of them as a nested sequence), to take them by position."""
    return np.array([None, *items], dtype=object)[1:]
