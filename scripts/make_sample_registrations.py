"""Regenerate src/zoomorch/data/sample-registrations.csv, the list `zoomorch demo` syncs.

A few hundred fictional people (Spanish, English and French speakers) from ministries, NGOs,
unions and UN agencies of the region, with emails under example.org/.com/.net only, plus a
handful of bad rows the sync must report: no email, a malformed email, an unknown status, an
unknown preferred language, a missing required country, and a duplicate that differs in case.
The seed is fixed, so the file only changes when this script does.

    python scripts/make_sample_registrations.py
"""

from __future__ import annotations

import csv
import random
import sys
import unicodedata
from pathlib import Path

SEED = 2022
PEOPLE = 300
OUT = Path(__file__).resolve().parents[1] / "src" / "zoomorch" / "data" / \
    "sample-registrations.csv"
HEADER = ["Email", "First name", "Last name", "Country", "Organisation", "Cargo",
          "Preferred language", "Estado"]

SPANISH_FIRST = [
    "María José", "José Luis", "Ana Lucía", "Juan Carlos", "Lucía", "Andrés", "Valentina",
    "Sebastián", "Camila", "Matías", "Daniela", "Alejandro", "Gabriela", "Martín", "Sofía",
    "Nicolás", "Mariana", "Felipe", "Paula", "Tomás", "Verónica", "Rubén", "Inés", "Iñaki",
    "Begoña", "Ramón", "Ximena", "Joaquín", "Renata", "Álvaro", "Guadalupe", "Héctor",
    "Marisol", "Óscar", "Yolanda", "Germán", "Zulema", "Efraín", "Noemí", "Ángela",
]
SPANISH_LAST = [
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Vásquez", "Castillo", "Jiménez",
    "Morales", "Ortiz", "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Álvarez", "Mendoza", "Núñez",
    "Peña", "Ibáñez", "Muñoz", "Quintero", "Cárdenas", "Bermúdez", "Zúñiga", "Montaño",
    "Olmedo", "Salazar", "Vargas", "Acuña", "Beltrán", "Sáenz",
]
FRENCH_FIRST = [
    "Éloïse", "François", "Hélène", "Jérôme", "Amélie", "Benoît", "Céline", "Grégoire",
    "Maëlle", "Noël", "Océane", "Stéphane", "Josée", "Frédéric", "Anaïs", "Loïc", "Mireille",
    "Rodrigue", "Nadège", "Wilner", "Guerline", "Jean-Baptiste", "Marie-Claude", "Dieudonné",
]
FRENCH_LAST = [
    "Lefèvre", "Côté", "Dubois", "Moreau", "Gagnon", "Bélanger", "Girard", "Lévesque",
    "Pierre-Louis", "Joseph", "Dorvil", "Étienne", "Fontaine", "Roussel", "Beauséjour",
    "Charlemagne", "Desrosiers", "Thibault", "Ménard", "Saint-Fleur",
]
ENGLISH_FIRST = [
    "Sarah", "James", "Emily", "Michael", "Olivia", "Daniel", "Hannah", "Samuel", "Grace",
    "Thomas", "Aisha", "Kwame", "Priya", "Liam", "Niamh", "Owen", "Rachel", "David", "Fatima",
    "Chloe",
]
ENGLISH_LAST = [
    "O'Connor", "Smith", "Johnson", "Williams", "Brown", "Taylor", "Wilson", "Campbell",
    "Mensah", "Okafor", "Patel", "Nguyen", "Murphy", "Reid", "Thompson", "Clarke", "Hughes",
    "Walsh", "McKenzie", "Adeyemi",
]

# (country as the organisers wrote it, organisations there)
SPANISH_PLACES = [
    ("Colombia", ["Migración Colombia", "Ministerio del Trabajo de Colombia",
                  "Central Unitaria de Trabajadores (CUT)", "Cruz Roja Colombiana",
                  "Alcaldía de Bogotá — Secretaría de Integración Social"]),
    ("Venezuela", ["Coalición por Venezuela", "Cáritas Venezuela", "Centro de Derechos "
                   "Humanos UCAB"]),
    ("Perú", ["Ministerio de Trabajo y Promoción del Empleo", "Superintendencia Nacional de "
              "Migraciones", "Encuentros — Servicio Jesuita para la Solidaridad"]),
    ("Ecuador", ["Ministerio de Relaciones Exteriores y Movilidad Humana", "HIAS Ecuador"]),
    ("Chile", ["Servicio Nacional de Migraciones", "Central Unitaria de Trabajadores de Chile",
               "Fundación Scalabrini"]),
    ("Argentina", ["Confederación General del Trabajo (CGTRA)", "Dirección Nacional de "
                   "Migraciones", "CELS"]),
    ("México", ["Secretaría del Trabajo y Previsión Social", "Comisión Mexicana de Ayuda a "
                "Refugiados (COMAR)", "Sin Fronteras IAP"]),
    ("Panamá", ["Consejo Nacional de la Empresa Privada (CONEP)", "Ministerio de Trabajo y "
                "Desarrollo Laboral", "PNUD — Centro Regional"]),
    ("Costa Rica", ["Dirección General de Migración y Extranjería", "OIT — Oficina para "
                    "Centroamérica"]),
    ("Guatemala", ["Instituto Guatemalteco de Migración", "Pastoral de Movilidad Humana"]),
    ("Honduras", ["Secretaría de Trabajo y Seguridad Social", "CSA-TUCA"]),
    ("El Salvador", ["Ministerio de Relaciones Exteriores", "Fundación Cristosal"]),
    ("República Dominicana", ["Ministerio de Trabajo", "OIM República Dominicana"]),
    ("España", ["Agencia Española de Cooperación (AECID)", "CCOO — Secretaría Confederal de "
                "Migraciones"]),
    ("CO", ["ACNUR Colombia", "OIM Colombia"]),
    ("MX", ["ONU Mujeres México", "UNICEF México"]),
]
FRENCH_PLACES = [
    ("Haïti", ["Ministère des Haïtiens vivant à l'étranger", "Office National de la Migration",
               "Groupe d'Appui aux Rapatriés et Réfugiés (GARR)"]),
    ("Canada", ["Affaires mondiales Canada", "Confédération des syndicats nationaux (CSN)"]),
    ("France", ["Agence française de développement", "France terre d'asile"]),
    ("Suisse", ["OIT — Département des conditions de travail", "OIM — Genève",
                "HCR — Genève"]),
    ("Belgique", ["Caritas International Belgique", "Enabel"]),
]
ENGLISH_PLACES = [
    ("United States", ["UNDP — Bureau for Latin America and the Caribbean", "UNICEF",
                       "Migration Policy Institute", "US Department of Labor (ILAB)"]),
    ("Switzerland", ["ILO — Labour Migration Branch", "IOM — Global Migration Data "
                     "Analysis Centre", "UNHCR"]),
    ("United Kingdom", ["Overseas Development Institute", "Trades Union Congress"]),
    ("Canada", ["Immigration, Refugees and Citizenship Canada"]),
    ("Jamaica", ["Ministry of Labour and Social Security"]),
    ("Trinidad and Tobago", ["Living Water Community", "UNHCR Trinidad and Tobago"]),
    ("Guyana", ["Ministry of Home Affairs"]),
]
POSITIONS = {
    "ES": ["Directora de Integración", "Asesor de políticas", "Coordinadora regional",
           "Técnico de protección", "Investigadora", "Secretario de relaciones internacionales",
           "Oficial de programas", "Jefa de gabinete", ""],
    "FR": ["Chargée de programme", "Conseiller politique", "Coordinatrice", "Juriste",
           "Responsable des partenariats", ""],
    "EN": ["Programme Officer", "Policy Adviser", "Regional Coordinator", "Research Fellow",
           "Labour Migration Specialist", "Protection Officer", ""],
}
# Requested statuses as organisers write them (mostly approved; the webinar approves manually).
STATUSES = {
    "ES": ["aprobado"] * 9 + ["pendiente", "rechazado"],
    "FR": ["approuvé"] * 9 + ["en attente"],
    "EN": ["approved"] * 9 + ["pending", "denied"],
}
LANGUAGE_VALUES = {"ES": ["ES"] * 5 + ["Español"], "FR": ["FR"] * 5 + ["Français"],
                   "EN": ["EN"] * 5 + ["English"]}
DOMAINS = ["example.org", "example.com", "example.net"]


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return "".join(ch if ch.isalnum() else "." for ch in plain).strip(".").replace("..", ".")


def person(rng: random.Random, used: set[str]) -> dict[str, str]:
    roll = rng.random()
    if roll < 0.62:
        lang, first, last, places = "ES", SPANISH_FIRST, SPANISH_LAST, SPANISH_PLACES
    elif roll < 0.80:
        lang, first, last, places = "FR", FRENCH_FIRST, FRENCH_LAST, FRENCH_PLACES
    else:
        lang, first, last, places = "EN", ENGLISH_FIRST, ENGLISH_LAST, ENGLISH_PLACES
    while True:
        given, family = rng.choice(first), rng.choice(last)
        if lang == "ES" and rng.random() < 0.3:  # two surnames
            family = f"{family} {rng.choice(SPANISH_LAST)}"
        email = f"{ascii_slug(given)}.{ascii_slug(family.split()[0])}@{rng.choice(DOMAINS)}"
        if email not in used:
            used.add(email)
            break
    country, orgs = rng.choice(places)
    # Some people prefer another of the three languages than their first one.
    shown_lang = lang if rng.random() > 0.1 else rng.choice(["ES", "EN", "FR"])
    return {
        "Email": email, "First name": given, "Last name": family, "Country": country,
        "Organisation": rng.choice(orgs), "Cargo": rng.choice(POSITIONS[lang]),
        "Preferred language": rng.choice(LANGUAGE_VALUES[shown_lang]),
        "Estado": rng.choice(STATUSES[lang]),
    }


def rows(seed: int = SEED, people: int = PEOPLE) -> list[dict[str, str]]:
    """Every row of the sample list, bad rows spread among the good ones."""
    rng = random.Random(seed)
    used: set[str] = set()
    good = [person(rng, used) for _ in range(people)]
    bad = [
        {**person(rng, used), "Email": ""},  # no email
        {**person(rng, used), "Email": "ines.quintero(at)example.org"},  # malformed
        {**person(rng, used), "Email": "gregoire.menard@example"},  # malformed: no dot
        {**person(rng, used), "Estado": "quizás"},  # unknown status
        {**person(rng, used), "Preferred language": "Português"},  # not ES/EN/FR
        {**person(rng, used), "Country": ""},  # the event requires a country
    ]
    # The same person twice, the second time in capitals (merged, reported).
    original = good[17]
    duplicate = {**original, "Email": original["Email"].upper(), "Cargo": "Asesora principal"}
    out = list(good)
    for row in [*bad, duplicate]:
        out.insert(rng.randrange(20, len(out)), row)
    return out


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows())
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
