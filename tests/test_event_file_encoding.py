"""Event files in whatever encoding an editor saved them (issue 16, item 7).

A UTF-8 BOM, UTF-16 ("Unicode" in Notepad) and Windows-1252 are read like the registration
lists are, the last with a note; binary content, an endless device and a huge file are refused
with a clean exit 2 naming the file and the fix, never a traceback.
"""

from __future__ import annotations

import codecs
import logging
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from event_support import SEED
from zoomorch.cli.main import app
from zoomorch.event import EventFileError, EventSpec, load_event
from zoomorch.event.load import MAX_EVENT_FILE_BYTES

# The seed event in characters every encoding under test can hold (cp1252 has no ⇄).
TEXT = SEED.read_text(encoding="utf-8").replace("⇄", "<->")
ACCENTED = "Ana María Diez"


def _written(tmp_path: Path, data: bytes, name: str = "imrf-2022-latam.toml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _reference(tmp_path: Path) -> EventSpec:
    folder = tmp_path / "utf8"
    folder.mkdir()
    return load_event(_written(folder, TEXT.encode("utf-8")))


def _agenda(path: Path | str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, ["agenda", str(path)])
    return result.exit_code, result.output, result.exception


def test_the_reference_text_holds_accents() -> None:
    assert ACCENTED in TEXT and "Panamá" in TEXT and not TEXT.isascii()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "utf-32"])
def test_unicode_encodings_read_as_the_same_event(tmp_path: Path, encoding: str) -> None:
    data = TEXT.encode(encoding)
    if encoding in ("utf-16", "utf-32"):
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
                                codecs.BOM_UTF32_BE))
    spec = load_event(_written(tmp_path, data))
    assert spec == _reference(tmp_path)
    assert any(p.name == ACCENTED for p in spec.people)


def test_a_utf8_bom_is_not_a_syntax_error(tmp_path: Path) -> None:
    path = _written(tmp_path, codecs.BOM_UTF8 + TEXT.encode("utf-8"))
    code, output, _ = _agenda(path)
    assert code == 0, output
    assert "not valid TOML" not in output


def test_windows_1252_is_read_with_a_note(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    path = _written(tmp_path, TEXT.encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="zoomorch.event"):
        spec = load_event(path)
    assert spec == _reference(tmp_path)
    assert any(p.name == ACCENTED for p in spec.people)
    notes = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(notes) == 1, notes
    assert str(path) in notes[0] and "Windows-1252" in notes[0] and "UTF-8" in notes[0]


def test_windows_1252_through_the_command_line_exits_0_with_the_note(tmp_path: Path) -> None:
    path = _written(tmp_path, TEXT.encode("cp1252"))
    code, output, exception = _agenda(path)
    assert code == 0, (output, exception)
    assert "Ana María Diez" in output or "Opening Remarks" in output


BINARY = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    "nuls": b"\x00" * 5000,
    "random": bytes((i * 7919 + 13) % 256 for i in range(20_000)),
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00>\x00" + bytes(range(200)),
    "toml-with-nul": TEXT.encode("utf-8")[:500] + b"\x00" + TEXT.encode("utf-8")[500:],
}


@pytest.mark.parametrize("kind", sorted(BINARY))
def test_binary_content_is_refused_naming_the_file(tmp_path: Path, kind: str) -> None:
    path = _written(tmp_path, BINARY[kind], "event.toml")
    with pytest.raises(EventFileError) as refused:
        load_event(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert "not a text file" in message
    assert "TOML" in message  # the fix: what an event file is


@pytest.mark.parametrize("kind", ["png", "random", "nuls"])
def test_binary_content_exits_2_without_a_traceback(tmp_path: Path, kind: str) -> None:
    path = _written(tmp_path, BINARY[kind], "event.toml")
    code, output, exception = _agenda(path)
    assert code == 2, (output, exception)
    assert isinstance(exception, SystemExit)
    assert str(path) in output and "Traceback" not in output


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    assert MAX_EVENT_FILE_BYTES == 1024 * 1024
    padding = ("# " + "x" * 98 + "\n") * (MAX_EVENT_FILE_BYTES // 100 + 1)
    path = _written(tmp_path, (TEXT + padding).encode("utf-8"))
    with pytest.raises(EventFileError) as refused:
        load_event(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and "larger than 1 MB" in message
    just_under = _written(tmp_path, (TEXT + padding[: MAX_EVENT_FILE_BYTES - len(
        TEXT.encode("utf-8")) - 100]).encode("utf-8"), "under.toml")
    assert MAX_EVENT_FILE_BYTES - 200 < just_under.stat().st_size <= MAX_EVENT_FILE_BYTES
    assert load_event(just_under).key == "imrf-2022-latam"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_without_reading_it_whole() -> None:
    with pytest.raises(EventFileError) as refused:
        load_event("/dev/zero")
    assert str(refused.value).startswith("/dev/zero: ")
    code, output, exception = _agenda("/dev/zero")
    assert code == 2, (output, exception)
    assert "/dev/zero" in output and "Traceback" not in output


def test_deep_nesting_is_a_clean_error(tmp_path: Path) -> None:
    path = _written(tmp_path, b"x = " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "deep.toml")
    with pytest.raises(EventFileError) as refused:
        load_event(path)
    assert str(refused.value).startswith(f"{path}: ")
    code, output, exception = _agenda(path)
    assert code == 2, (output, exception)


def test_broken_utf16_is_refused_not_guessed(tmp_path: Path) -> None:
    # A UTF-16 BOM followed by an odd number of bytes and a lone surrogate.
    path = _written(tmp_path, codecs.BOM_UTF16_LE + "key = 'a'\n".encode("utf-16-le")
                    + b"\x00\xd8" + b"x", "broken.toml")
    with pytest.raises(EventFileError) as refused:
        load_event(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and "UTF-16" in message and "UTF-8" in message
