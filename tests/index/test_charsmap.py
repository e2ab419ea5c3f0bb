"""The compiled charsmap normalizes exactly as its table says, through `tokenizers`."""

from __future__ import annotations

import pytest
from tokenizers import normalizers

from index.models.charsmap import build_precompiled_charsmap

TABLE = {"Ａ": "A", "１": "1", "，": ",", "\t": " ", "\x07": "", "ﬁ": "fi", "㍻": "平成",
         "\u200b": " "}


@pytest.fixture(scope="module")
def normalizer():
    return normalizers.Precompiled(build_precompiled_charsmap(TABLE))


@pytest.mark.parametrize(("source", "expected"), list(TABLE.items()))
def test_each_entry_is_replaced(normalizer, source, expected):
    assert normalizer.normalize_str(source) == expected


def test_text_outside_the_table_is_untouched(normalizer):
    assert normalizer.normalize_str("老师 teacher 123 é") == "老师 teacher 123 é"


def test_a_mixed_string(normalizer):
    assert normalizer.normalize_str("Ａ１，老师\x07") == "A1,老师"


def test_keys_with_nul_are_rejected():
    with pytest.raises(ValueError):
        build_precompiled_charsmap({"a\0": "b"})
