"""Reading the organisers' list: encodings, delimiters, row numbers, column mapping."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from zoomorch.registrants.columns import header_key, resolve_columns
from zoomorch.registrants.normalise import QuestionRule, RegistrationRules, normalise_table
from zoomorch.registrants.source import SourceError, decode_source, parse_table, read_source

NAMES = ["Sáenz", "Gómez", "Ruggirello", "Denkers", "Núñez", "Françoise", "Łukasz"]
CSV_TEXT = (
    "Email,First name,Last name\n"
    "ana@example.org,Ana,Sáenz\n"
    "luis@example.org,Luis,Gómez\n"
    "marco@example.org,Marco,Ruggirello\n"
    "eva@example.org,Eva,Denkers\n"
)


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
        (CSV_TEXT.encode("utf-16"), "utf-16"),
        (CSV_TEXT.encode("utf-16-le"), "utf-16-le"),
        (CSV_TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_spreadsheet_encodings_decode_to_the_same_names(encoded: bytes, expected: str) -> None:
    decoded = decode_source(encoded)
    assert decoded.encoding == expected
    assert decoded.text == CSV_TEXT


def test_a_list_mixing_utf8_and_cp1252_lines_keeps_every_name() -> None:
    data = b"email,nombre,apellido\n" + "a@x.org,Ana,Sáenz\n".encode()
    data += "b@x.org,Luis,Gómez\n".encode("cp1252")
    decoded = decode_source(data)
    assert decoded.encoding == "utf-8+cp1252"
    assert "Sáenz" in decoded.text and "Gómez" in decoded.text


def test_cp1252_bytes_undefined_in_the_codepage_do_not_fail() -> None:
    assert decode_source(b"email\n\x81\xe9@x.org\n").text == "email\n\x81é@x.org\n"


def test_utf16_tab_separated_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(("Courriel\tPrénom\tNom\nzoe@x.org\tZoé\tDenkers\n").encode("utf-16"))
    table = read_source(path)
    assert table.delimiter == "\t"
    assert table.rows[0].cells == {"Courriel": "zoe@x.org", "Prénom": "Zoé", "Nom": "Denkers"}


def test_semicolon_delimited_european_export_is_read() -> None:
    table = parse_table(decode_source("correo;nombre\n\"a@x.org\";\"Ana; María\"\n".encode()))
    assert table.delimiter == ";"
    assert table.rows[0].cells["nombre"] == "Ana; María"


def test_row_numbers_match_the_spreadsheet_with_blank_rows_and_embedded_newlines() -> None:
    text = 'email,name\na@x.org,"Ana\nSáenz"\n\n,\nb@x.org,Bo\n'
    table = parse_table(decode_source(text.encode()))
    assert [row.number for row in table.rows] == [2, 5]
    assert table.blank_rows == (3, 4)
    assert table.rows[0].cells["name"] == "Ana\nSáenz"


def test_empty_file_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="empty"):
        parse_table(decode_source(b"\n\n"), "list.csv")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.csv"):
        read_source(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail", "email"), ("Correo electrónico", "email"), ("COURRIEL", "email"),
        ("Adresse e-mail", "email"), ("Prénom", "first_name"), ("Nombre", "first_name"),
        ("Apellidos", "last_name"), ("Nom de famille", "last_name"), ("País", "country"),
        ("Organización", "org"), ("Organisation", "org"), ("Idioma preferido", "language"),
        ("Langue préférée", "language"), ("Statut", "status"), ("Estado", "status"),
    ],
)
def test_default_headers_are_recognised_in_three_languages(header: str, field: str) -> None:
    columns = resolve_columns(["email" if field != "email" else "x", header])
    assert columns.fields[field] == header


def test_header_key_ignores_case_accents_and_punctuation() -> None:
    assert header_key(" Correo Electrónico* ") == "correo electronico"


def test_event_column_mapping_wins_and_maps_custom_questions() -> None:
    columns = resolve_columns(
        ["Mail of person", "Given", "Q3", "Email"],
        explicit={"email": "Mail of person", "first_name": "given", "Which panel?": "Q3"},
        question_titles=["Which panel?"],
    )
    assert columns.fields["email"] == "Mail of person"
    assert columns.fields["first_name"] == "Given"
    assert columns.questions == {"Which panel?": "Q3"}
    assert "Email" in columns.unused


def test_mapping_to_a_column_this_list_lacks_falls_back_to_the_defaults() -> None:
    columns = resolve_columns(["Correo", "Organización"], explicit={"email": "Email",
                                                                    "org": "Organisation"})
    assert columns.fields == {"email": "Correo", "org": "Organización"}
    assert "'Organisation'" in columns.warnings[1]


def test_mapping_an_unknown_field_names_the_fix() -> None:
    with pytest.raises(SourceError, match=r"registrants\.columns"):
        resolve_columns(["email"], explicit={"favourite colour": "Colour"})


def test_list_without_email_column_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="no email column"):
        resolve_columns(["name", "country"], path="list.csv")


def test_required_question_without_a_column_is_a_file_error() -> None:
    table = parse_table(decode_source(b"email,first name\na@x.org,Ana\n"), "list.csv")
    rules = RegistrationRules(questions=(QuestionRule("Which panel?", required=True),))
    with pytest.raises(SourceError, match="Which panel"):
        normalise_table(table, rules)


def test_names_survive_every_encoding_unchanged(tmp_path: Path) -> None:
    lines = ["email,first name,last name"] + [f"p{i}@x.org,N{i},{n}" for i, n in enumerate(NAMES)]
    text = "\n".join(lines) + "\n"
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1252"):
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue  # Łukasz has no Windows-1252 spelling
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(data)
        result = normalise_table(read_source(path))
        assert [r.last_name for r in result.registrations] == NAMES
