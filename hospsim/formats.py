"""Text built from numbers, in bulk: digits placed into a pattern ('###.###.###-##') and numbered ids
('S000042'). One implementation of each for every module that formats documents, phones or ids."""
from __future__ import annotations

import numpy as np


def place(mat: np.ndarray, slots: np.ndarray, values: np.ndarray) -> None:
    """mat[:, slots] = values, as one slice copy per run of adjacent slots (faster than a fancy index)."""
    runs = np.split(np.arange(slots.size), np.flatnonzero(np.diff(slots) > 1) + 1)
    for run in runs:
        mat[:, slots[run[0]]:slots[run[-1]] + 1] = values[:, run[0]:run[-1] + 1]


def code_points(pattern: str, n: int) -> np.ndarray:
    """The pattern repeated for n rows, as a (n, len) uint32 code-point matrix to place characters into."""
    mat = np.empty((n, len(pattern)), dtype=np.uint32)
    mat[:] = np.array([ord(c) for c in pattern], dtype=np.uint32)
    return mat


def to_str(mat: np.ndarray) -> np.ndarray:
    """A (n, width) uint32 code-point matrix -> object array of str, without a bytes detour."""
    return np.ascontiguousarray(mat).view(f"U{mat.shape[1]}").ravel().astype(object)


def digit_pattern(digits: np.ndarray, pattern: str) -> np.ndarray:
    """A (n, k) digit matrix placed into the k '#' of a pattern: an object array of n str."""
    mat = code_points(pattern, digits.shape[0])
    slots = np.flatnonzero(np.array([c == "#" for c in pattern]))
    place(mat, slots, digits.astype(np.uint8) + np.uint8(ord("0")))
    return to_str(mat)


def numbered(prefix: str, numbers, width: int = 6) -> np.ndarray:
    """prefix + the number zero-padded to width ('S' 42 -> 'S000042'), as a numpy str array."""
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), width))
