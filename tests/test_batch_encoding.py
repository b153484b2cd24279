"""Decoding input files: every supported encoding comes out as the same text with LF line endings."""
from __future__ import annotations

import codecs
import random
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiaokan.batch.encoding import NotTextError, decode_bytes, normalise_line_endings

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def seed_text() -> str:
    return sorted(SEEDS.glob("*.txt"))[0].read_text(encoding="utf-8")


def traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


@pytest.mark.parametrize(
    ("encode", "expected_encoding"),
    [
        (lambda text: text.encode("utf-8"), "utf-8"),
        (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8 with BOM"),
        (lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16-le with BOM"),
        (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16-be with BOM"),
        (lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"), "utf-32-le with BOM"),
        (lambda text: text.encode("gb18030"), "gb18030"),
    ],
)
def test_seed_page_decodes_from_each_encoding(encode, expected_encoding):
    text = seed_text()[:3000]
    decoded = decode_bytes(encode(text))
    assert decoded.encoding == expected_encoding
    assert decoded.text == normalise_line_endings(text)
    assert not decoded.text.startswith("\ufeff")


@pytest.mark.parametrize("length", [12, 40, 400, 3000])
def test_gb18030_and_big5_are_told_apart(length):
    # their byte ranges overlap, so both codecs accept both texts: detection must choose
    simplified = seed_text()[200 : 200 + length]
    traditional_text = traditional(simplified)
    assert decode_bytes(simplified.encode("gb18030")).text == simplified
    big5 = decode_bytes(traditional_text.encode("big5", errors="ignore"))
    assert big5.encoding == "big5"
    assert big5.text == traditional_text.encode("big5", errors="ignore").decode("big5")


def test_line_endings_become_lf():
    decoded = decode_bytes("第一行\r\n第二行\r第三行\n".encode("gb18030"))
    assert decoded.text == "第一行\n第二行\n第三行\n"
    assert decode_bytes(codecs.BOM_UTF16_LE + "甲\r\n乙".encode("utf-16-le")).text == "甲\n乙"


def test_empty_file_is_empty_text():
    assert decode_bytes(b"").text == ""


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"text with a \x00 in it",
        bytes(range(256)) * 4,
        b"\x01\x02\x03\x04\x05\x06\x07\x08" * 50 + "正文".encode("utf-8"),
    ],
)
def test_binary_data_is_refused_with_a_reason(data):
    with pytest.raises(NotTextError, match="binary|undecodable"):
        decode_bytes(data)


def test_random_bytes_are_refused():
    generator = random.Random(7)
    for _ in range(20):
        data = bytes(generator.randrange(256) for _ in range(4096))
        with pytest.raises(NotTextError):
            decode_bytes(data)


def test_broken_utf16_is_refused():
    with pytest.raises(NotTextError, match="utf-16-le"):
        decode_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone high surrogate


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\r\n\t"), max_size=200))
def test_any_text_round_trips_through_bom_encodings(text):
    for data in (codecs.BOM_UTF8 + text.encode("utf-8"), codecs.BOM_UTF16_LE + text.encode("utf-16-le"), text.encode("utf-8")):
        decoded = decode_bytes(data)
        assert decoded.text == normalise_line_endings(text)
        assert "\r" not in decoded.text


def test_os_urandom_never_crashes():
    for _ in range(50):
        try:
            decode_bytes(os.urandom(300))
        except NotTextError:
            pass
