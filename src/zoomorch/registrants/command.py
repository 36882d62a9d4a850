"""``zoomorch registrants sync``: the use case and its console rendering.

:func:`sync_event_registrants` is the plain-Python entry point (event, list, client, store in;
report and files out); :func:`sync_command` is what the CLI calls.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import select

from zoomorch.db.store import StateStore, open_store, utcnow
from zoomorch.db.tables import RegistrantSyncCall
from zoomorch.event import EventSpec, load_event
from zoomorch.outcome import EXIT_DEFERRED, EXIT_INPUT, EXIT_OK, EXIT_ZOOM, run_guarded
from zoomorch.registrants.columns import SUBMITTED_AT
from zoomorch.registrants.ledger import ADD_KINDS, SyncLedger
from zoomorch.registrants.normalise import (
    QuestionRule,
    RegistrationList,
    RegistrationRules,
    normalise_table,
)
from zoomorch.registrants.output import (
    OUTPUT_FORMATS,
    OutputFormat,
    deferred_path,
    registrants_path,
    rejects_path,
    write_deferred,
    write_registrants,
    write_rejects,
)
from zoomorch.registrants.plan import Via
from zoomorch.registrants.source import SourceError, read_source_bytes
from zoomorch.registrants.sync import RegistrantSync, SyncAborted, SyncProgress, SyncReport
from zoomorch.registrants.values import email_key
from zoomorch.registrants.workbook import read_table
from zoomorch.zoom import ZoomClient
from zoomorch.zoom.client import REGISTRANTS_PER_BATCH, REGISTRANTS_PER_STATUS_UPDATE

SAMPLE_ROWS = 5


class SyncInputError(ValueError):
    """The command cannot start: no list, no webinar for the event, unreadable list."""


def rules_for_event(spec: EventSpec) -> RegistrationRules:
    """What the event file asks of each registrant, and its column mapping."""
    return RegistrationRules(
        required_fields=frozenset(q.field for q in spec.registration.questions if q.required),
        questions=tuple(
            QuestionRule(q.title, q.required, tuple(q.answers), q.type == "multiple")
            for q in spec.registration.custom_questions
        ),
        columns=dict(spec.registrants.columns),
    )


def source_path_for(spec: EventSpec, event_path: Path, source: Path | None) -> Path:
    """``--source``, else ``registrants.source`` from the event file (relative to it)."""
    if source is not None:
        return source
    if spec.registrants.source:
        path = Path(spec.registrants.source)
        return path if path.is_absolute() else event_path.parent / path
    raise SyncInputError(
        f"{event_path}: no registration list given; pass --source registrations.csv "
        "or set registrants.source in the event file"
    )


SOURCE_SUFFIXES = (".xlsx", ".csv", ".tsv", ".txt")


def source_in_dir(spec: EventSpec, event_path: Path, source_dir: Path | None) -> Path:
    """For a run over many events: ``DIR/KEY.xlsx`` (or .csv, .tsv, .txt) from
    ``--source-dir``, else the event file's ``registrants.source``."""
    if source_dir is not None:
        found = [source_dir / f"{spec.key}{suffix}" for suffix in SOURCE_SUFFIXES
                 if (source_dir / f"{spec.key}{suffix}").is_file()]
        if len(found) > 1:
            raise SyncInputError(
                f"{event_path}: {' and '.join(map(str, found))} are both lists for event "
                f"{spec.key!r}; keep one of them in {source_dir}")
        if found:
            return found[0]
        if not spec.registrants.source:
            raise SyncInputError(
                f"{event_path}: no list for event {spec.key!r}: put {spec.key}.xlsx or "
                f"{spec.key}.csv in {source_dir}, or set registrants.source in the event file")
    return source_path_for(spec, event_path, None)


def load_list(spec: EventSpec, path: Path,
              sheet: str | None = None) -> tuple[RegistrationList, str]:
    """Read and normalise the list (CSV/TSV, or a workbook's ``sheet``: by default its first
    visible one); returns it with the file's SHA-256 (for the ledger)."""
    data = read_source_bytes(path)  # read once: the digest is of the bytes that were parsed
    table = read_table(data, str(path), sheet)
    return normalise_table(table, rules_for_event(spec)), hashlib.sha256(data).hexdigest()


class AccountLedger(SyncLedger):
    """The ledger of a run over events on several Zoom accounts: Zoom's per-person daily rule
    counts within one account, so today's registrations count only on ``account_webinars``
    (the webinars of this event's account), not on another account's."""

    def __init__(self, store: StateStore, event_key: str, webinar_id: int,
                 account_webinars: frozenset[int]) -> None:
        super().__init__(store, event_key, webinar_id)
        self.account_webinars = account_webinars | {webinar_id}

    def adds_today(self, now: datetime | None = None) -> Counter[str]:
        now = now or utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        counts: Counter[str] = Counter()
        with self.store.session() as session:
            rows = session.scalars(select(RegistrantSyncCall).where(
                RegistrantSyncCall.kind.in_(ADD_KINDS),
                RegistrantSyncCall.webinar_id.in_(sorted(self.account_webinars)),
                RegistrantSyncCall.created_at >= midnight,
                RegistrantSyncCall.created_at < midnight + timedelta(days=1)))
            for row in rows:
                for item in row.result or []:
                    counts[email_key(str(item.get("email", "")))] += 1
        return counts


@dataclass(frozen=True)
class SyncFiles:
    registrants: Path | None
    rejects: Path | None
    deferred: Path | None = None


def sync_event_registrants(
    spec: EventSpec,
    source: Path,
    client: ZoomClient,
    store: StateStore,
    *,
    prune: bool = False,
    dry_run: bool = False,
    out_dir: Path = Path("."),
    workers: int = 4,
    progress: SyncProgress | None = None,
    sheet: str | None = None,
    output_format: OutputFormat = "csv",
    account_webinars: frozenset[int] | None = None,
) -> tuple[SyncReport, SyncFiles]:
    """Sync the event's Zoom registrants with ``source``; write the files (CSV, or XLSX with
    ``output_format``) unless ``dry_run``."""
    if output_format not in OUTPUT_FORMATS:
        raise SyncInputError(f"--output-format {output_format!r}: use one of "
                             f"{', '.join(OUTPUT_FORMATS)}")
    webinar_id = store.webinar_id_for(spec.key)
    if webinar_id is None:
        raise SyncInputError(
            f"event {spec.key!r} has no webinar in Zoom yet; run `zoomorch apply` first"
        )
    registrations, digest = load_list(spec, source, sheet)
    sync = RegistrantSync(
        client, webinar_id,
        ledger=(SyncLedger(store, spec.key, webinar_id) if account_webinars is None
                else AccountLedger(store, spec.key, webinar_id, account_webinars)),
        automatic_approval=spec.registration.approval == "automatic",
        workers=workers, progress=progress,
    )
    report = sync.run(registrations, prune=prune, dry_run=dry_run, source_label=str(source),
                      source_sha256=digest)
    if dry_run:
        return report, SyncFiles(None, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    registrants_file = registrants_path(out_dir, spec.key, output_format)
    rejects_file = rejects_path(out_dir, spec.key, output_format)
    write_registrants(registrants_file, report.lines, output_format=output_format)
    write_rejects(rejects_file, registrations.header, report.rejections,
                  output_format=output_format)
    deferred_file = deferred_path(out_dir, spec.key, output_format)
    if report.deferrals:
        write_deferred(deferred_file, report.deferrals, output_format=output_format)
    for kind in OUTPUT_FORMATS:  # an earlier run's list, in either format, is done with
        stale = deferred_path(out_dir, spec.key, kind)
        if not report.deferrals or stale != deferred_file:
            stale.unlink(missing_ok=True)
    return report, SyncFiles(registrants_file, rejects_file,
                             deferred_file if report.deferrals else None)


# --- console --------------------------------------------------------------------------


class RichProgress:
    """A rich progress bar with counts and ETA, drawn on stderr."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            # Counts write calls' items (a registration, then its approval, are two).
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("writes"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=console, transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._progress.stop()

    def start(self, description: str, total: int) -> None:
        if total:
            self._task = self._progress.add_task(description, total=total)

    def advance(self, writes: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, writes)


def render_report(report: SyncReport, files: SyncFiles, console: Console) -> None:
    """The plan or the result: samples of each kind, rejects, notes, the counts."""
    source = report.source
    blank = f", {len(source.blank_rows)} blank rows skipped" if source.blank_rows else ""
    multi = source.multi_line_rows
    if multi:
        shown = ", ".join(str(n) for n in multi[:SAMPLE_ROWS])
        more = f" and {len(multi) - SAMPLE_ROWS} more" if len(multi) > SAMPLE_ROWS else ""
        noun = "rows" if len(multi) > 1 else "row"
        blank += f"; a cell with a line break, kept as one row: {noun} {shown}{more}"
    if source.hidden_rows:
        blank += f", {len(source.hidden_rows)} hidden rows read"
    console.print(f"{source.path}: {source.data_rows} rows ({source.encoding}{blank})",
                  markup=False, highlight=False)
    timestamp = source.columns.fields.get(SUBMITTED_AT)
    if timestamp:
        console.print(f"note: column {timestamp!r} is the form's submission time (Google "
                      "Forms); it is not sent to Zoom", markup=False, highlight=False)
    for warning in source.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    for merge in source.merges:
        console.print(f"warning: {merge.message}", markup=False, highlight=False)
    for rejection in sorted(report.rejections, key=lambda r: r.row):
        console.print(f"rejected row {rejection.row}: {rejection.reason}",
                      markup=False, highlight=False)
    for deferral in report.deferrals:
        console.print(f"deferred row {deferral.registration.row}: "
                      f"{deferral.registration.email}: {deferral.describe()}",
                      markup=False, highlight=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)

    plan = report.plan
    samples: list[tuple[str, int, list[list[str]]]] = [
        ("add", len(plan.additions), [
            [str(a.registration.row), a.registration.email,
             f"{a.registration.first_name} {a.registration.last_name}".strip(),
             f"{a.via.value}, {'approved' if a.auto_approve else 'pending'}"
             + (f", then {a.then.value}" if a.then else "")]
            for a in plan.additions[:SAMPLE_ROWS]]),
        ("change status", len(plan.status_changes), [
            [str(c.registration.row if c.registration else ""), c.registrant.email,
             c.registrant.status, c.action.value]
            for c in plan.status_changes[:SAMPLE_ROWS]]),
        ("prune", len(plan.prunes), [
            ["", c.registrant.email, c.registrant.status, c.action.value]
            for c in plan.prunes[:SAMPLE_ROWS]]),
    ]
    verb = "would" if report.dry_run else "did"
    for title, total, rows in samples:
        if not total:
            continue
        table = Table(title=f"{verb} {title}: {total}"
                      + (f" (first {SAMPLE_ROWS})" if total > SAMPLE_ROWS else ""),
                      title_justify="left")
        for column in ("row", "email", "now / name", "action"):
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)

    counts = report.counts
    console.print(("Plan (dry run, nothing written): " if report.dry_run else "Done: ")
                  + counts.summary().replace("\n", "\n  "), markup=False, highlight=False)
    if report.dry_run:
        console.print(f"Zoom calls: {report.list_calls} list calls; the sync would make "
                      f"about {_write_calls_needed(report)} write calls.",
                      markup=False, highlight=False)
    else:
        console.print(f"Zoom calls: {report.list_calls} list, {report.write_calls} write.",
                      markup=False, highlight=False)
    if files.registrants is not None:
        console.print(f"wrote {files.registrants} ({len(report.lines)} registrants with "
                      f"status and join link)", markup=False, highlight=False)
    if files.rejects is not None:
        console.print(f"wrote {files.rejects} ({len(report.rejections)} rejected rows)",
                      markup=False, highlight=False)
    if files.deferred is not None:
        console.print(f"wrote {files.deferred} ({len(report.deferrals)} deferred rows, with "
                      "the reason and when to run again)", markup=False, highlight=False)


def _write_calls_needed(report: SyncReport) -> int:
    plan = report.plan
    batch = [a for a in plan.additions if a.via is Via.BATCH]
    calls = sum(-(-len([a for a in batch if a.auto_approve == flag]) // REGISTRANTS_PER_BATCH)
                for flag in (True, False))
    calls += len(plan.additions) - len(batch)
    changes = list(plan.status_changes) + list(plan.prunes)
    calls += sum(-(-len([c for c in changes if c.action is action])
                   // REGISTRANTS_PER_STATUS_UPDATE)
                 for action in {c.action for c in changes})
    followers = [a.then for a in plan.additions if a.then is not None]
    calls += sum(-(-followers.count(action) // REGISTRANTS_PER_STATUS_UPDATE)
                 for action in set(followers))
    return calls


def counts_summary(report: SyncReport) -> str:
    """The changes column of a run over many events: each outcome that happened, the rows."""
    counts = report.counts
    parts = [f"{outcome.value} {n}" for outcome, n in counts.by_outcome.items() if n]
    if counts.pruned:
        parts.append(f"pruned {counts.pruned}")
    return f"{counts.data_rows} rows: " + (", ".join(parts) or "nothing")


def sync_command(
    event: Path | Sequence[Path],
    *,
    source: Path | None = None,
    source_dir: Path | None = None,
    prune: bool = False,
    dry_run: bool = False,
    out_dir: Path = Path("."),
    env_file: Path | None = None,
    workers: int = 4,
    console: Console | None = None,
    sheet: str | None = None,
    output_format: OutputFormat = "csv",
) -> int:
    """``zoomorch registrants sync``: returns the process exit code. Over a folder or several
    event files: each event's list from ``source_dir`` or its file, then a per-event table."""
    from zoomorch.provision import is_many

    out = console or Console()
    err = Console(stderr=True, soft_wrap=True)
    paths = [event] if isinstance(event, Path) else list(event)
    if is_many(paths):
        if source is not None:
            err.print("--source names one list; for several events use --source-dir (a "
                      "folder of KEY.xlsx / KEY.csv) or registrants.source in each event file",
                      markup=False, highlight=False)
            return EXIT_INPUT
        return _sync_many(paths, source_dir=source_dir, prune=prune, dry_run=dry_run,
                          out_dir=out_dir, env_file=env_file, workers=workers, out=out,
                          err=err, sheet=sheet, output_format=output_format)
    event = paths[0]

    def work() -> int:
        spec = load_event(event)
        path = (source_path_for(spec, event, source) if source is not None or
                source_dir is None else source_in_dir(spec, event, source_dir))
        store = open_store()
        with (ZoomClient.from_env(env_file, profile=spec.account) as client,
              RichProgress(err) as bar):
            try:
                report, files = sync_event_registrants(
                    spec, path, client, store, prune=prune, dry_run=dry_run, out_dir=out_dir,
                    workers=workers, progress=bar, sheet=sheet, output_format=output_format,
                )
            except SyncAborted as aborted:
                if aborted.report is not None:
                    render_report(aborted.report, SyncFiles(None, None), out)
                err.print(str(aborted), markup=False, highlight=False)
                return EXIT_ZOOM
        render_report(report, files, out)
        if not report.counts.adds_up:
            return EXIT_ZOOM
        if report.deferrals and not report.dry_run:
            retry = [d.retry_at for d in report.deferrals if d.retry_at is not None]
            when = (f" after {min(retry):%Y-%m-%d %H:%M} UTC" if retry else "")
            err.print(f"{len(report.deferrals)} rows wait for a later run: run the same "
                      f"command again{when} (exit code {EXIT_DEFERRED}).",
                      markup=False, highlight=False)
            return EXIT_DEFERRED
        return EXIT_OK

    return run_guarded(
        err, work, input_errors=(SourceError, SyncInputError),
        # The sync stopped its queue and let the calls in flight finish: all are recorded.
        interrupted="Interrupted: the calls already sent are recorded; run the same command "
                    "again to finish the sync.")


def _sync_many(paths: list[Path], *, source_dir: Path | None, prune: bool, dry_run: bool,
               out_dir: Path, env_file: Path | None, workers: int, out: Console,
               err: Console, sheet: str | None, output_format: OutputFormat) -> int:
    from zoomorch.provision import EventRun, run_many

    webinars: dict[int, frozenset[int]] = {}  # per client (account): its webinars' ids

    def account_webinars(client: ZoomClient) -> frozenset[int]:
        if id(client) not in webinars:
            webinars[id(client)] = frozenset(w.id for w in client.iter_webinars())
        return webinars[id(client)]

    def one(spec: EventSpec, path: Path, client: ZoomClient, store: StateStore,
            run: EventRun) -> int:
        source = source_in_dir(spec, path, source_dir)
        out.print(f"[bold]{spec.key}[/] ({run.account}): {source}", highlight=False)
        with RichProgress(err) as bar:
            try:
                report, files = sync_event_registrants(
                    spec, source, client, store, prune=prune, dry_run=dry_run,
                    out_dir=out_dir, workers=workers, progress=bar, sheet=sheet,
                    output_format=output_format, account_webinars=account_webinars(client))
            except SyncAborted as aborted:
                if aborted.report is not None:
                    render_report(aborted.report, SyncFiles(None, None), out)
                    run.changes = counts_summary(aborted.report)
                run.error = str(aborted).splitlines()[0]
                return EXIT_ZOOM
        render_report(report, files, out)
        run.changes = counts_summary(report)
        if not report.counts.adds_up:
            run.error = "the counts do not add up to the list's rows (please report this)"
            return EXIT_ZOOM
        if report.deferrals and not report.dry_run:
            retry = [d.retry_at for d in report.deferrals if d.retry_at is not None]
            n = len(report.deferrals)
            run.error = (f"{n} {'row waits' if n == 1 else 'rows wait'} for a later run"
                         + (f" (after {min(retry):%Y-%m-%d %H:%M} UTC)" if retry else ""))
            return EXIT_DEFERRED
        return EXIT_OK

    return run_many(paths, one, title="registrants sync: per event", out=out, err=err,
                    env_file=env_file, input_errors=(SourceError, SyncInputError))


__all__ = [
    "RichProgress",
    "SyncFiles",
    "SyncInputError",
    "render_report",
    "rules_for_event",
    "source_in_dir",
    "source_path_for",
    "sync_command",
    "sync_event_registrants",
]
