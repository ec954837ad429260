"""The IDX file format that MNIST is distributed in, and that torchvision reads.

Header: two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions, then each dimension as a big-endian 32-bit integer. The data follows,
row-major. Images are ``(N, 28, 28)`` and labels ``(N,)``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

UBYTE = 0x08


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an unsigned-byte array as an IDX file."""
    if array.dtype != np.uint8:
        raise TypeError(f"IDX writer takes uint8 arrays, got {array.dtype}")
    header = struct.pack(">HBB", 0, UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def idx_header(path: Path) -> tuple[int, ...]:
    """Shape stored in an IDX file's header; raises ValueError if the file is damaged."""
    data = path.read_bytes()
    if len(data) < 4:
        raise ValueError(f"{path.name} is {len(data)} bytes long: too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code != UBYTE or not 1 <= ndim <= 3:
        raise ValueError(f"{path.name} does not start with an IDX header of unsigned bytes")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{path.name} is cut off inside its header")
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    expected = header_len + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(
            f"{path.name} should be {expected:,} bytes for shape {shape}, "
            f"but it is {len(data):,} bytes (truncated or damaged)"
        )
    return shape
