"""Storing an import: bulk import of police.uk street CSV (original and API-derived columns), our own CSV and GeoJSON.

Streaming in constant memory: the file is read a line (or a GeoJSON feature) at a time, rows are
collected into batches, each batch gets its wards from the in-memory ``WardIndex`` and is written
with COPY (PostgreSQL) in one step. The caller may commit after every batch (``checkpoint``): a
kill half-way leaves whole batches only, and a re-run skips every row already stored, because
each row carries a stable ``external_id`` (police.uk Crime ID, else a content hash plus the
row's occurrence number among identical rows in the file, so genuinely repeated police.uk rows
-- same snap point, month and type -- are all kept, and still only once).

Rows that cannot be used are written to an error file (line, reason, detail) and counted."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.exports import csv_text
from nte.reports import repository as repo
from nte.reports.exceptions import InvalidImport
from nte.reports.importer.csvfile import read_csv
from nte.reports.importer.geojson import read_geojson
from nte.reports.importer.lines import LineSource, text_encoding
from nte.reports.importer.rows import REASONS, ParsedRow, RowError
from nte.reports.models import WARD_SUBJECT, ReportImport
from nte.spatial import WGS84, ewkt_point
from nte.spatial.geometry import _transformer
from nte.wards import service as ward_service
from nte.wards.index import OUTSIDE, WardIndex
from nte.wards.models import WardSet

BATCH_SIZE = 5000
FORMATS = ("auto", "police", "police-api", "nte-csv", "geojson")


@dataclass
class ImportSummary:
    import_id: int
    file_format: str
    rows_read: int = 0
    inserted: int = 0
    already_present: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    error_file: Path | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


# --- writing ---------------------------------------------------------------------------------------


def _error_writer(path: Path | None) -> tuple[Callable[[RowError], None], Callable[[], None], list[RowError]]:
    kept: list[RowError] = []
    if path is None:

        def keep(err: RowError) -> None:
            if len(kept) < 1000:
                kept.append(err)

        return keep, lambda: None, kept
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("w", newline="", encoding="utf-8")
    fh.write(csv_text(["line", "reason", "detail"], []))

    def write_and_keep(err: RowError) -> None:
        # one row at a time (an import may reject millions), each cell neutralised: the detail
        # quotes what the uploaded file held, and officers open this file in a spreadsheet
        fh.write(csv_text(None, [[err.line, REASONS[err.reason], err.detail]]))
        if len(kept) < 1000:
            kept.append(err)

    return write_and_keep, fh.close, kept


def import_stream(
    session: Session,
    *,
    stream: IO[bytes],
    filename: str,
    settings: Settings,
    now: datetime,
    file_format: str = "auto",
    encoding: str = "utf-8",
    error_path: Path | None = None,
    actor_label: str = "cli",
    batch_size: int = BATCH_SIZE,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
    row_filter: Callable[[ParsedRow], bool] | None = None,
) -> tuple[ImportSummary, list[RowError]]:
    """Import a file. ``checkpoint`` (the CLI's commit) runs after each batch; without it nothing
    is kept if the file is refused part-way (a savepoint). Returns the summary and the first
    1,000 row errors (all of them are in ``error_path`` when given)."""
    if file_format not in FORMATS:
        raise InvalidImport(f"Unknown format {file_format!r}; use one of {', '.join(FORMATS)}.", field="format")
    encoding = text_encoding(encoding)
    # Each row's ward in its borough's current boundaries (and, once stored, in every vintage):
    # the same in-memory index every assignment goes through.
    index = ward_service.index_for(session, ward_service.placement(session, settings=settings))
    ward_sets = ward_service.vintages(session)
    # Without checkpoints the import is all or nothing: a file refused half-way (a feature nested
    # too deeply, a header that is not CSV) leaves no batch and no import record behind, even when
    # the caller goes on to commit (the officer's page answers the refusal as a page, so its
    # request's session commits). With checkpoints (the CLI) every committed batch stays.
    with session.begin_nested() if checkpoint is None else contextlib.nullcontext():
        record = repo.add_import(
            session,
            ReportImport(
                filename=filename[:255], file_format=file_format, started_at=now, actor_label=actor_label[:254]
            ),
        )
        summary = ImportSummary(import_id=record.id, file_format=file_format, error_file=error_path)
        add_error, close_errors, kept = _error_writer(error_path)
        run = _Run(session, record, summary, add_error, ward_sets=ward_sets, now=now, checkpoint=checkpoint)
        reject, on_error, write = run.reject, run.on_error, run.write

        # Batch N's database work (look up ids already present, COPY, commit) runs in one writer
        # thread while the reading thread parses batch N+1 and turns it into rows (ward, grid
        # reference, columns): the database's time is mostly hidden behind the Python work. One
        # batch in flight at most, in order, and only the writer thread touches the session meanwhile.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-import")
        pending: Future[None] | None = None
        try:
            rows = _read_rows(
                stream,
                filename=filename,
                file_format=file_format,
                encoding=encoding,
                on_error=on_error,
                on_format=run.on_format,
                progress=progress,
            )
            if row_filter is not None:
                rows = filter(row_filter, rows)
            batch: list[ParsedRow] = []
            for parsed in rows:
                summary.rows_read += 1
                batch.append(parsed)
                if len(batch) >= batch_size:
                    prepared = _prepare_batch(batch, index, reject, now, summary.import_id)
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(write, prepared)
                    batch = []
            last = _prepare_batch(batch, index, reject, now, summary.import_id) if batch else None
            if pending is not None:
                pending.result()
                pending = None
            write(last, finished=True)
            if summary.inserted:  # the planner's row counts, for the first statistics after a big import
                repo.refresh_statistics(session)
                ward_service.refresh_statistics(session)
        finally:
            if pending is not None:
                try:
                    pending.result()
                except Exception:  # noqa: S110 - the reading error is the one raised
                    pass
            writer.shutdown(wait=True)
            close_errors()
    return summary, kept


class _Run:
    """One import's shared state: the counters and the error file (the reading thread and the
    writer thread both reject rows, under a lock) and the import record's progress."""

    def __init__(
        self,
        session: Session,
        record: ReportImport,
        summary: ImportSummary,
        add_error: Callable[[RowError], None],
        *,
        ward_sets: list[WardSet],
        now: datetime,
        checkpoint: Callable[[], None] | None,
    ) -> None:
        self.session, self.record, self.summary, self.add_error = session, record, summary, add_error
        self.ward_sets, self.now, self.checkpoint = ward_sets, now, checkpoint
        self.lock = threading.Lock()

    def reject(self, err: RowError) -> None:  # both threads: the error file and the counters
        with self.lock:
            self.summary.rejected[err.reason] += 1
            self.add_error(err)

    def on_error(self, err: RowError) -> None:  # reading thread: a line that never became a row
        self.summary.rows_read += 1
        self.reject(err)

    def on_format(self, found: str) -> None:
        self.summary.file_format = self.record.file_format = found

    def write(self, prepared: _Prepared | None, *, finished: bool = False) -> None:
        if prepared is not None:
            _store_batch(self.session, prepared, self.summary, self.ward_sets)
        with self.lock:
            _save_progress(self.record, self.summary, self.now, finished=finished)
        self.session.flush()
        if self.checkpoint:
            self.checkpoint()


def _read_rows(
    stream: IO[bytes],
    *,
    filename: str,
    file_format: str,
    encoding: str,
    on_error: Callable[[RowError], None],
    on_format: Callable[[str], None],
    progress: Callable[[int], None] | None,
) -> Iterable[ParsedRow]:
    """The file's rows: GeoJSON when chosen or named so, else CSV (its header says which columns)."""
    if file_format == "geojson" or filename.lower().endswith((".geojson", ".json")):
        on_format("geojson")
        return read_geojson(stream, on_error, progress)
    lines = LineSource(stream, encoding=encoding, on_error=on_error, progress=progress)
    return read_csv(lines, file_format, on_error, on_format)


def _save_progress(record: ReportImport, summary: ImportSummary, now: datetime, *, finished: bool = False) -> None:
    record.rows_read = summary.rows_read
    record.inserted = summary.inserted
    record.already_present = summary.already_present
    record.rejected = summary.rejected_total
    if finished:
        record.finished_at = now


@dataclass
class _Prepared:
    """A batch turned into report rows (REPORT_COPY_COLUMNS order, without ``id``), their
    categories and external ids; rows outside the served wards already reported."""

    rows: list[list[Any]]
    categories: list[list[str]]
    external_ids: list[str]
    points: list[tuple[float, float]]


def _prepare_batch(
    batch: list[ParsedRow],
    index: WardIndex,
    on_error: Callable[[RowError], None],
    now: datetime,
    import_id: int,
) -> _Prepared:
    """Ward (in-memory index), grid reference and columns of each row: no database work."""
    lon = np.fromiter((r.lon for r in batch), dtype=np.float64, count=len(batch))
    lat = np.fromiter((r.lat for r in batch), dtype=np.float64, count=len(batch))
    wards = index.assign(lon, lat)
    east, north = _transformer(WGS84, 27700).transform(lon, lat)
    prepared = _Prepared(rows=[], categories=[], external_ids=[], points=[])
    received = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    for i, r in enumerate(batch):
        k = int(wards[i])
        if k == OUTSIDE:
            on_error(RowError(r.line, "outside_area", f"{r.lon:.6f},{r.lat:.6f} is outside the served wards"))
            continue
        prepared.rows.append(
            [
                r.source,
                "accepted",
                r.occurred_at,
                r.time_precision,
                received,
                "exact",
                ewkt_point(r.lon, r.lat),
                round(float(east[i]), 1),
                round(float(north[i]), 1),
                index.codes[k],
                index.borough_codes[k],
                r.categories[0],
                r.factors,
                r.description,
                r.external_id,
                import_id,
                False,
                received,
            ]
        )
        prepared.categories.append(r.categories)
        prepared.external_ids.append(r.external_id)
        prepared.points.append((r.lon, r.lat))
    return prepared


def _store_batch(session: Session, prepared: _Prepared, summary: ImportSummary, ward_sets: list[WardSet]) -> None:
    """Insert the rows whose external id is new (not in the database, not earlier in the batch)."""
    present = repo.existing_external_ids(session, prepared.external_ids)
    rows: list[list[Any]] = []
    cats: list[list[str]] = []
    points: list[tuple[float, float]] = []
    seen: set[str] = set()
    for row, categories, external_id, point in zip(
        prepared.rows, prepared.categories, prepared.external_ids, prepared.points, strict=True
    ):
        if external_id in present or external_id in seen:
            summary.already_present += 1
            continue
        seen.add(external_id)
        rows.append(row)
        cats.append(categories)
        points.append(point)
    ids = repo.insert_imported(session, rows, cats)
    summary.inserted += len(ids)
    if ids:
        xy = np.array(points, dtype=np.float64)
        ward_service.assign_points(
            session, subject=WARD_SUBJECT, ids=ids, lon=xy[:, 0], lat=xy[:, 1], ward_sets=ward_sets
        )


def import_file(
    session: Session, *, path: Path, settings: Settings, now: datetime, **kwargs: Any
) -> tuple[ImportSummary, list[RowError]]:
    opener = _open_gzip if path.suffix == ".gz" else lambda p: p.open("rb")
    name = path.name[:-3] if path.suffix == ".gz" else path.name
    with opener(path) as stream:
        return import_stream(session, stream=stream, filename=name, settings=settings, now=now, **kwargs)


def _open_gzip(path: Path) -> IO[bytes]:
    import gzip

    return gzip.open(path, "rb")  # type: ignore[return-value]
