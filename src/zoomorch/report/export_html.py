"""Self-contained HTML report: tables plus matplotlib charts embedded as inline SVG.

The page loads nothing from the network (no scripts, fonts or images by URL): SVG text is
drawn as paths, so it looks the same offline on any machine.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from zoomorch.private_files import write_private_text
from zoomorch.report.attendance import AttendanceReport, attended
from zoomorch.report.tables import Kind, Table, format_value, local

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from zoomorch.live.record import RunOfShow

# matplotlib is imported by the charts that need it (about 0.7 s and 40 MiB): a report
# without HTML never loads it. Figure objects, never pyplot: no global state, no display
# needed, safe in threads.

MAX_HTML_ROWS = 5000
_TOP_GROUPS = 15
_SHADES = ("#dbe9f6", "#f6e7d8")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
.sub{color:#555;margin-top:0}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts figure{margin:1rem 0}.charts svg{max-width:100%;height:auto}
.note{color:#666;font-size:.85rem}
.story{font-size:1.05rem;max-width:60rem;border-left:4px solid #1f4e79;padding-left:.8rem}
"""
_PLANNED, _ACTUAL, _OVER, _STOP = "#c9d6e3", "#1f4e79", "#c0392b", "#c0392b"


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: invalid inside HTML


def concurrency_chart(report: AttendanceReport, zone: ZoneInfo) -> str:
    """Audience in the room over time, agenda segments shaded; inline SVG."""
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(10, 4))
    axes = figure.add_subplot()
    points = report.concurrency
    start, end = report.totals.webinar_start, report.totals.webinar_end
    xs: list[float] = []
    ys: list[int] = []
    level = 0
    for moment, count in points:
        if moment < start:
            continue
        if not xs:
            xs.append(_naive(start, zone))
            ys.append(level)
        xs.append(_naive(moment, zone))
        ys.append(count)
        level = count
    if not xs:
        xs, ys = [_naive(start, zone)], [0]
    xs.append(_naive(end, zone))
    ys.append(ys[-1])
    for i, segment in enumerate(report.segments):
        axes.axvspan(_naive(segment.start, zone), _naive(segment.end, zone),
                     color=_SHADES[i % 2], alpha=0.9, zorder=0)
        axes.text(_naive(segment.start, zone), 1.01, segment.title[:28],
                  transform=axes.get_xaxis_transform(), fontsize=7, rotation=30,
                  ha="left", va="bottom")
    axes.step(xs, ys, where="post", color="#1f4e79", linewidth=1.5, zorder=2)
    axes.set_ylabel("People in the room")
    axes.set_xlabel(f"Time ({zone.key})")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    axes.grid(axis="y", color="#ddd", zorder=1)
    return _svg(figure)


def group_chart(counts: Counter[str], title: str) -> str:
    """A horizontal bar chart of attendee counts per group (top groups, the rest as Other)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    ranked = counts.most_common()
    if len(ranked) > _TOP_GROUPS:
        rest = sum(n for _, n in ranked[_TOP_GROUPS - 1:])
        ranked = [*ranked[:_TOP_GROUPS - 1], ("Other", rest)]
    labels = [label for label, _ in ranked][::-1]
    values = [n for _, n in ranked][::-1]
    figure = Figure(figsize=(7, max(1.6, 0.35 * len(labels) + 0.8)))
    axes = figure.add_subplot()
    bars = axes.barh(labels or ["(none)"], values or [0], color="#2e75b6")
    axes.bar_label(bars, padding=2, fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("Attendees")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(x=0.12)
    return _svg(figure)


def timeline_chart(ros: RunOfShow) -> str:
    """Planned vs actual per segment (a Gantt: a pale planned bar above each actual one), the
    scheduled and actual start, the hard stop and the end; inline SVG."""
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    zone = ros.zone
    segments = ros.segments
    figure = Figure(figsize=(10, 0.9 * len(segments) + 1.6))
    axes = figure.add_subplot()
    day = 1 / (24 * 60 * 60)
    labels = []
    for row, seg in enumerate(reversed(segments)):
        run = seg.run
        y = row * 1.0
        labels.append(run.title[:40])
        p0, p1 = _naive(run.planned_start, zone), _naive(run.planned_end, zone)
        axes.broken_barh([(p0, p1 - p0)], (y + 0.05, 0.35), facecolors=_PLANNED,
                         label="planned" if row == 0 else None)
        if run.actual_start is not None:
            a0 = _naive(run.actual_start, zone)
            a1 = _naive(run.actual_end, zone) if run.actual_end is not None else a0 + 60 * day
            over = run.over is not None and run.over.total_seconds() >= 30
            axes.broken_barh([(a0, max(a1 - a0, day))], (y - 0.4, 0.4),
                             facecolors=_OVER if over else _ACTUAL,
                             hatch="//" if ros.estimated else None,
                             label=(f"actual ({ros.basis})" if row == 0 else None))
    axes.set_yticks([r * 1.0 for r in range(len(segments))], labels, fontsize=8)
    marks = [(ros.scheduled_start, "scheduled start", ":", "#555")]
    if ros.actual_start is not None:
        marks.append((ros.actual_start, "actual start", "--", _ACTUAL))
    marks.append((ros.hard_stop, "hard stop", "-", _STOP))
    if ros.end is not None:
        marks.append((ros.end, "end", "-.", "#333"))
    for moment, label, style, colour in marks:
        axes.axvline(_naive(moment, zone), linestyle=style, color=colour, linewidth=1.2,
                     label=label)
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    axes.set_xlabel(f"Time ({zone.key})")
    axes.grid(axis="x", color="#ddd")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=6, fontsize=7,
                frameon=False)
    return _svg(figure)


def language_chart(table: Table) -> str:
    """Registered vs attended per preferred language (the audience-by-language table)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = list(table.rows)[:_TOP_GROUPS]
    labels = [str(r[0]) for r in rows][::-1] or ["(none)"]
    registered = [int(r[1]) for r in rows][::-1] or [0]
    came = [int(r[2]) for r in rows][::-1] or [0]
    figure = Figure(figsize=(7, max(1.6, 0.5 * len(labels) + 0.8)))
    axes = figure.add_subplot()
    ys = list(range(len(labels)))
    bars = axes.barh([y + 0.2 for y in ys], registered, height=0.4, color=_PLANNED,
                     label="registered")
    axes.bar_label(bars, padding=2, fontsize=8)
    bars = axes.barh([y - 0.2 for y in ys], came, height=0.4, color=_ACTUAL, label="attended")
    axes.bar_label(bars, padding=2, fontsize=8)
    axes.set_yticks(ys, labels, fontsize=8)
    axes.set_title(table.title, fontsize=10)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(x=0.12)
    axes.legend(fontsize=8, frameon=False)
    return _svg(figure)


def _naive(moment: datetime, zone: ZoneInfo) -> float:
    """Wall-clock time in ``zone`` as a matplotlib date number."""
    from matplotlib import dates as mdates

    value = local(moment, zone)
    assert value is not None
    return float(mdates.date2num(value))


def _table_html(table: Table, max_rows: int) -> str:
    kinds = [c.kind for c in table.columns]
    numeric = {Kind.INT, Kind.FLOAT, Kind.PERCENT}
    head = "".join(f"<th>{html.escape(c.title)}</th>" for c in table.columns)
    body: list[str] = []
    for row in table.rows[:max_rows]:
        cells = []
        for value, kind in zip(row, kinds, strict=True):
            css = ' class="n"' if kind in numeric or isinstance(value, int | float) else ""
            cells.append(f"<td{css}>{html.escape(format_value(value, kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if len(table.rows) > max_rows:
        note = (f'<p class="note">Showing the first {max_rows:,} of {len(table.rows):,} rows; '
                "the CSV and XLSX exports hold them all.</p>")
    if not table.rows:
        note = '<p class="note">None.</p>'
    return (f'<h2 id="{table.name}">{html.escape(table.title)}</h2>{note}'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _run_of_show_html(ros: RunOfShow, language: str) -> str:
    from zoomorch.report.run_of_show import what_happened, words

    heading = words(language).heading
    return (f'<section class="charts"><h2 id="run-of-show-story">{html.escape(heading)}</h2>'
            f'<p class="story">{html.escape(what_happened(ros, language))}</p>'
            f"<figure>{timeline_chart(ros)}<figcaption>Planned (pale) and actual "
            f"({html.escape(ros.basis)}) time of each segment; red: ran over. Times in "
            f"{html.escape(ros.zone.key)}.</figcaption></figure></section>")


def render_html(report: AttendanceReport, tables: Sequence[Table], zone: ZoneInfo,
                *, max_rows: int = MAX_HTML_ROWS, ros: RunOfShow | None = None,
                language: str = "en") -> str:
    """The whole report as one HTML document; with the run-of-show record ``ros``, its
    section (what happened, in ``language``, and the planned-vs-actual chart) comes first."""
    audience = attended(report.people)
    by_country = Counter(p.country or "(not given)" for p in audience)
    by_language = Counter(p.preferred_language or "(not given)" for p in audience)
    languages = next((t for t in tables if t.name == "languages"), None)
    language_figure = (language_chart(languages) if languages is not None
                       else group_chart(by_language, "Attendance by preferred language"))
    start = local(report.totals.webinar_start, zone)
    assert start is not None
    totals = report.totals
    headline = (f"Attended {totals.attended:,} · {totals.unidentified_connections:,} "
                "unidentified connections (rows no person could be tied to for sure)")
    charts = (
        '<section class="charts"><h2 id="charts">Charts</h2>'
        f"<figure>{concurrency_chart(report, zone)}"
        "<figcaption>Audience in the room over time; agenda segments shaded.</figcaption>"
        f"</figure><figure>{group_chart(by_country, 'Attendance by country')}</figure>"
        f"<figure>{language_figure}</figure>"
        "</section>")
    nav = " · ".join(f'<a href="#{t.name}">{html.escape(t.title)}</a>' for t in tables)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Forbid every network load: the report must render the same offline.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>Attendance report: {html.escape(report.webinar.topic)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Attendance report: {html.escape(report.webinar.topic)}</h1>",
        f'<p class="sub">{start:%A %d %B %Y, %H:%M} ({html.escape(zone.key)}) · '
        f"all times in {html.escape(zone.key)}</p>",
        f'<p class="sub">{html.escape(headline)}</p>',
        f'<nav><a href="#charts">Charts</a> · {nav}</nav>',
        _run_of_show_html(ros, language) if ros is not None else "",
        charts,
        *(_table_html(t, max_rows) for t in tables),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html(report: AttendanceReport, tables: Sequence[Table], zone: ZoneInfo,
               path: str | Path, *, ros: RunOfShow | None = None,
               language: str = "en") -> Path:
    """Write the HTML report to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private_text(target, render_html(report, tables, zone, ros=ros, language=language))
    return target
