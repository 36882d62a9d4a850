"""Issue 15: a Google Forms export (Google Sheets downloaded as CSV or XLSX) syncs without a
[registrants.columns] table; its Timestamp column is the submission time, never sent to Zoom."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from registrants_support import EVENT_KEY, client_for, make_webinar, store_at, write_event
from zoomorch.event import load_event
from zoomorch.registrants.columns import SUBMITTED_AT, resolve_columns
from zoomorch.registrants.command import sync_event_registrants
from zoomorch.sandbox import Sandbox

COUNTRY = '''
[[registration.questions]]
field = "country"
required = true
'''

# As Google Sheets downloads a form's responses sheet (File > Download > CSV): UTF-8, commas,
# the timestamp as the sheet shows it, the address the form collected.
FORMS_CSV = (
    "Timestamp,Email Address,First name,Last name,Country,Organisation\r\n"
    "5/17/2022 10:23:45,ana@x.org,Ana,Sáenz,Colombia,OIM\r\n"
    "5/17/2022 11:02:10,luis@x.org,Luis,Gómez,Perú,\r\n"
    "5/18/2022 9:15:00,ANA@x.org,Ana María,Sáenz,Colombia,OIM Bogotá\r\n"
)


@pytest.mark.parametrize("header", [
    ["Timestamp", "Email Address", "First name", "Last name"],
    ["Timestamp", "Email address", "First name", "Last name"],
    ["Marca temporal", "Dirección de correo electrónico", "Nombre", "Apellido(s)"],
    ["Marca temporal", "Dirección de correo electrónico", "Nombre(s)", "Apellidos"],
    ["Horodateur", "Adresse e-mail", "Prénom", "Nom"],
    ["Zeitstempel", "E-Mail-Adresse", "Vorname", "Nachname"],
    ["Carimbo de data/hora", "Endereço de e-mail", "Nome", "Sobrenome"],
])
def test_google_forms_headers_map_without_configuration(header: list[str]) -> None:
    columns = resolve_columns(header)
    assert [columns.fields.get(k) for k in (SUBMITTED_AT, "email", "first_name",
                                            "last_name")] == header
    assert columns.unused == ()


def _prepare(sandbox: Sandbox, tmp_path: Path) -> tuple[Any, Any, Any, int]:
    client = client_for(sandbox)
    webinar_id = make_webinar(client, automatic=True)
    store = store_at(tmp_path)
    store.save_binding(EVENT_KEY, webinar_id=webinar_id)
    return load_event(write_event(tmp_path, questions=COUNTRY)), client, store, webinar_id


def _answers(client: Any, webinar_id: int) -> dict[str, dict[str, Any]]:
    return {r.email.lower(): r.model_dump(exclude={"id", "join_url", "create_time", "status"})
            for r in client.iter_registrants(webinar_id, "approved")}


def test_a_google_forms_csv_export_syncs_without_a_columns_table(
        sandbox: Sandbox, tmp_path: Path) -> None:
    spec, client, store, webinar_id = _prepare(sandbox, tmp_path)
    assert not spec.registrants.columns
    source = tmp_path / "Registro (respuestas) - Respuestas de formulario 1.csv"
    source.write_bytes(FORMS_CSV.encode("utf-8"))
    report, _ = sync_event_registrants(spec, source, client, store, out_dir=tmp_path)
    assert report.counts.adds_up and report.counts.data_rows == 3
    people = _answers(client, webinar_id)
    assert set(people) == {"ana@x.org", "luis@x.org"}
    # The later submission of the same person wins (non-empty values), as for any duplicate.
    assert people["ana@x.org"]["first_name"] == "Ana María"
    assert people["ana@x.org"]["org"] == "OIM Bogotá"
    assert people["luis@x.org"]["country"] == "PE"
    # The timestamp reached Zoom nowhere: no custom question, no comment, no other field.
    for person in people.values():
        assert person["custom_questions"] == [] and not person["comments"]
        assert not any("2022" in str(value) for value in person.values())


def test_a_spanish_google_forms_xlsx_download_syncs_and_the_cli_names_the_timestamp(
        sandbox: Sandbox, tmp_path: Path) -> None:
    _, client, _, webinar_id = _prepare(sandbox, tmp_path)
    source = tmp_path / "Inscripción.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("Respuestas de formulario 1")
    stamp = book.add_format({"num_format": "d/m/yyyy h:mm:ss"})
    sheet.write_row(0, 0, ["Marca temporal", "Dirección de correo electrónico", "Nombre",
                           "Apellido(s)", "País"])
    for r, (when, email, first, last, country) in enumerate([
            (datetime(2022, 5, 17, 10, 23, 45), "ana@x.org", "Ana", "Sáenz", "Colombia"),
            (datetime(2022, 5, 17, 11, 2, 10), "luis@x.org", "Luis", "Gómez", "Perú"),
            (datetime(2022, 5, 18, 9, 15), "sin-pais@x.org", "Eva", "Denkers", ""),
    ], start=1):
        sheet.write_datetime(r, 0, when, stamp)
        sheet.write_row(r, 1, [email, first, last, country])
    book.close()

    env = {**os.environ, **sandbox.env(),
           "ZOOMORCH_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
           "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
    event = tmp_path / f"{EVENT_KEY}.toml"
    run = subprocess.run(
        [sys.executable, "-m", "zoomorch.cli.main", "registrants", "sync", str(event),
         "--source", str(source), "--out", str(tmp_path)],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (f"{source}, sheet 'Respuestas de formulario 1': 3 rows (xlsx)") in run.stdout
    assert ("note: column 'Marca temporal' is the form's submission time (Google Forms); it is "
            "not sent to Zoom") in run.stdout
    assert "rejected row 4: missing required answer 'country' (column 'País')" in run.stdout
    assert "= 3 input rows: every row is accounted for" in run.stdout
    people = _answers(client, webinar_id)
    assert {e: p["country"] for e, p in people.items()} == {"ana@x.org": "CO",
                                                            "luis@x.org": "PE"}
    assert all(p["custom_questions"] == [] for p in people.values())
