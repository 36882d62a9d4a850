"""Text files people save from their own tools: read with a size cap, and decoded whatever
the encoding (the registration lists and the event files).

Spreadsheets and editors save UTF-8 (with or without BOM), UTF-16 ("Unicode text", with or
without BOM) or Windows-1252, and a file pasted together from several sources can even mix
UTF-8 and Windows-1252 line by line. :func:`decode_text` detects which, and says what it found
so that the caller can note a guess (Windows-1252 is one: any byte sequence decodes).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

GUESSED_ENCODINGS = ("cp1252", "utf-8+cp1252")  # decoded, but only a guess: worth a note


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # what was detected, e.g. "utf-8-sig", "utf-16", "cp1252", "utf-8+cp1252"


class FileTooLarge(ValueError):
    """A file over the size its reader accepts (it was not read whole)."""

    def __init__(self, path: str | Path, limit: int) -> None:
        self.path, self.limit = str(path), limit
        super().__init__(f"{path} is larger than {_size(limit)}")


def read_capped(path: str | Path, limit: int) -> bytes:
    """The file's bytes, reading at most ``limit`` + 1 of them: :class:`FileTooLarge` beyond
    (``/dev/zero`` or a 4 GB export is refused, never read whole); OSError when unreadable."""
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(path, limit)
    return data


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit} bytes"


def _cp1252_with_latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    # Five bytes are undefined in Windows-1252; Windows itself maps them to the C1 controls,
    # which is what Latin-1 does.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("zoomorch-cp1252", _cp1252_with_latin1_fallback)


def _looks_like_utf16(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    # ASCII-heavy UTF-16 has a NUL in (nearly) every other byte; real 8-bit text has none.
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def decode_text(data: bytes, *, errors: str = "replace") -> DecodedText:
    """Decode a file, detecting its encoding.

    ``errors`` applies to UTF-16 (``"replace"``: a broken pair becomes U+FFFD; ``"strict"``:
    UnicodeDecodeError). UTF-8 that does not decode falls back to Windows-1252 line by line,
    which never fails.
    """
    bom = ""
    if data.startswith(codecs.BOM_UTF8):
        data, bom = data[len(codecs.BOM_UTF8) :], "-sig"
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return DecodedText(data.decode("utf-32"), "utf-32")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DecodedText(data.decode("utf-16", errors), "utf-16")
    utf16 = None if bom else _looks_like_utf16(data)
    if utf16:
        return DecodedText(data.decode(utf16, errors), utf16)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8" + bom)
    except UnicodeDecodeError:
        pass
    # Not valid UTF-8 as a whole: decode line by line, so that a list pasted together from a
    # UTF-8 export and a Windows-1252 export keeps every name intact.
    parts: list[str] = []
    used: set[str] = set()
    for line in data.splitlines(keepends=True):
        try:
            parts.append(line.decode("utf-8"))
            if not line.isascii():
                used.add("utf-8")
        except UnicodeDecodeError:
            parts.append(line.decode("cp1252", "zoomorch-cp1252"))
            used.add("cp1252")
    encoding = "utf-8+cp1252" if bom or used == {"utf-8", "cp1252"} else "cp1252"
    return DecodedText("".join(parts), encoding)
