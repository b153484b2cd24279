"""Turning the bytes of an input file into text: encoding detection, decoding, line endings.

Order of the checks, cheapest first:

1. an empty file is empty text;
2. a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
3. a NUL byte without a UTF-16/32 mark means the file is not text;
4. a strict UTF-8 decode (most files stop here);
5. the Chinese legacy encodings GB18030 (a superset of GB2312 and GBK) and Big5: when
   both decode the bytes, which happens often because their byte ranges overlap,
   charset-normalizer arbitrates between just those two;
6. charset-normalizer over every encoding it knows, for anything else.

A decoded text with many control characters is refused as binary. Line endings
(CRLF, lone CR) become LF. Anything that cannot be read as text raises `NotTextError`
with a reason for the run summary.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from jiaokan.errors import InputError

#: byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one)
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: legacy encodings of Chinese text, in order of preference when nothing else decides
CHINESE_ENCODINGS = ("gb18030", "big5")
#: charset-normalizer names that we decode with a superset instead
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030"}
#: a text whose share of control characters is above this is binary data that happened to decode
MAX_CONTROL_SHARE = 0.01
#: control characters (Unicode category Cc) except those text files legitimately contain:
#: tab, line feed, vertical tab, form feed, carriage return, escape
STRAY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")


class NotTextError(InputError):
    """The bytes are not text jiaokan can read; the message is the reason shown in the summary."""


@dataclass(frozen=True)
class DecodedText:
    """A file's text (line endings normalised) and the encoding it was read with
    (``"utf-16-le with BOM"``, ``"gb18030"``, ``"empty"``, ...)."""

    text: str
    encoding: str
    had_byte_order_mark: bool = False


def decode_bytes(data: bytes) -> DecodedText:
    """The text in ``data``; raises `NotTextError` when it is not text."""
    if not data:
        return DecodedText("", "empty")
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            text = _decode_strictly(data[len(mark):], encoding)
            return DecodedText(text, f"{encoding} with BOM", had_byte_order_mark=True)
    if b"\x00" in data:
        raise NotTextError("binary data (NUL bytes)")
    try:
        return DecodedText(_checked_text(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass
    encoding = _detect_chinese_encoding(data) or _detect_any_encoding(data)
    if encoding is None:
        raise NotTextError("undecodable: not UTF-8, UTF-16, GB18030, Big5 or another known encoding")
    return DecodedText(_decode_strictly(data, encoding), encoding)


def normalise_line_endings(text: str) -> str:
    """CRLF and lone CR become LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_strictly(data: bytes, encoding: str) -> str:
    try:
        return _checked_text(data.decode(encoding))
    except UnicodeDecodeError as error:
        raise NotTextError(f"undecodable as {encoding} at byte {error.start}") from error


def _checked_text(text: str) -> str:
    """``text`` with LF line endings, after refusing binary data that happened to decode."""
    if text:
        controls = len(STRAY_CONTROLS.findall(text))
        if controls > MAX_CONTROL_SHARE * len(text):
            raise NotTextError(f"binary data ({controls} control characters in {len(text)})")
    return normalise_line_endings(text)


def _detect_chinese_encoding(data: bytes) -> str | None:
    decodable = [encoding for encoding in CHINESE_ENCODINGS if _decodes(data, encoding)]
    if len(decodable) <= 1:
        return decodable[0] if decodable else None
    # GB18030 and Big5 byte ranges overlap, so both often decode: let the language model choose
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(CHINESE_ENCODINGS)).best()
    if best is not None and _superset(best.encoding) in decodable:
        return _superset(best.encoding)
    return decodable[0]


def _detect_any_encoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    encoding = _superset(best.encoding)
    return encoding if _decodes(data, encoding) else None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _superset(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return SUPERSETS.get(name, name)
