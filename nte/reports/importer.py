"""Bulk import of police.uk street CSV (original and API-derived columns), our own CSV and GeoJSON.

Streaming in constant memory: the file is read a line (or a GeoJSON feature) at a time, rows are
collected into batches, each batch gets its wards from the in-memory ``WardIndex`` and is written
with COPY (PostgreSQL) in one step. The caller may commit after every batch (``checkpoint``): a
kill half-way leaves whole batches only, and a re-run skips every row already stored, because
each row carries a stable ``external_id`` (police.uk Crime ID, else a content hash plus the
row's occurrence number among identical rows in the file, so genuinely repeated police.uk rows
-- same snap point, month and type -- are all kept, and still only once).

Rows that cannot be used are written to an error file (line, reason, detail) and counted."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import LONDON
from nte.privacy import scrub
from nte.reports import repository as repo
from nte.reports.exceptions import InvalidImport
from nte.reports.models import WARD_SUBJECT, ReportImport
from nte.reports.vocabulary import CATEGORIES, FACTORS, police_slug
from nte.spatial import WGS84, ewkt_point
from nte.spatial.geometry import _transformer, nested_too_deeply, too_deep
from nte.wards import service as ward_service
from nte.wards.index import OUTSIDE, WardIndex
from nte.wards.models import WardSet

BATCH_SIZE = 5000
FORMATS = ("auto", "police", "police-api", "nte-csv", "geojson")
#: The text encodings a CSV may be read in (any of their aliases, e.g. windows-1252 for cp1252).
#: Only encodings that keep ASCII as it is: lines are split on the newline byte before decoding.
#: UTF-16 files are read when they start with a byte-order mark, whatever is chosen here. Codecs
#: that are not text encodings (rot13, zlib_codec, base64_codec, ...) are refused by name.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-15", "ascii")
_ENCODING_CODECS = {codecs.lookup(name).name: name for name in ENCODINGS}
#: A GeoJSON feature longer than this is refused: a report is a point with a few short properties
#: (the description is cut to 2,000 characters), so a feature this long is not one.
MAX_FEATURE_CHARS = 1_000_000

REASONS = {
    "no_coordinates": "no coordinates",
    "outside_area": "outside the service area",
    "bad_row": "bad row",
    "encoding": "encoding",
}


@dataclass
class ParsedRow:
    line: int
    external_id: str
    source: str
    occurred_at: datetime
    time_precision: str
    lon: float
    lat: float
    categories: list[str]
    factors: str | None = None
    description: str | None = None


@dataclass
class RowError:
    line: int
    reason: str  # a key of REASONS
    detail: str


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


# --- reading: decoded lines -----------------------------------------------------------------------


def text_encoding(name: str) -> str:
    """``name`` if it is (an alias of) one of :data:`ENCODINGS`, else :class:`InvalidImport`
    naming the field ``encoding``."""
    try:
        codec = codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        codec = None
    if codec not in _ENCODING_CODECS:
        raise InvalidImport(
            f"{name[:40]!r} is not a text encoding the import reads; choose one of {', '.join(ENCODINGS)}.",
            field="encoding",
        )
    return name


class LineSource:
    """Decoded text lines from a binary stream: BOM removed (UTF-8 or UTF-16), CRLF and LF kept
    for the csv module, NULs dropped; a line that is not valid in ``encoding`` is reported, not
    fatal. ``line_no`` is the physical line number of the last line handed out."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        encoding: str = "utf-8",
        on_error: Callable[[RowError], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.stream = stream
        self.encoding = encoding
        self.on_error = on_error
        self.progress = progress
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        head = self.stream.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield from self._utf16(head)
            return
        if head.startswith(codecs.BOM_UTF8):
            head = head[3:]
        first = True
        pending = head
        for raw in self.stream:
            if first:
                raw = pending + raw
                first = False
            yield from self._decode(raw)
        if first and pending:
            yield from self._decode(pending)

    def _decode(self, raw: bytes) -> Iterator[str]:
        self.line_no += 1
        if self.progress:
            self.progress(len(raw))
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.on_error(
                RowError(
                    self.line_no,
                    "encoding",
                    f"not valid {self.encoding} text at byte {exc.start}; save the file as UTF-8 "
                    "(or give its encoding)",
                )
            )
            return
        yield text.replace("\x00", "")

    def _utf16(self, head: bytes) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-16")()
        pending = decoder.decode(head)
        while True:
            chunk = self.stream.read(65536)
            if self.progress and chunk:
                self.progress(len(chunk))
            try:
                pending += decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                self.on_error(RowError(self.line_no + 1, "encoding", "not valid UTF-16 text"))
                return
            lines = pending.splitlines(keepends=True)
            pending = lines.pop() if lines and chunk and not lines[-1].endswith(("\n", "\r")) else ""
            for text in lines:
                self.line_no += 1
                yield text.replace("\x00", "")
            if not chunk:
                if pending:
                    self.line_no += 1
                    yield pending
                return


# --- reading: rows per format ----------------------------------------------------------------------

POLICE_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
POLICE_API_COLUMNS = ("Month", "Longitude", "Latitude", "Crime type")
NTE_COLUMNS = ("occurred_at", "lat", "lon")


def detect_format(header: list[str]) -> str:
    names = {h.strip() for h in header}
    if {"Crime ID", "Month", "Longitude", "Latitude", "Crime type"} <= names:
        return "police"
    if set(POLICE_API_COLUMNS) <= names:
        return "police-api"
    if set(NTE_COLUMNS) <= names and ({"main_category"} & names or {"categories"} & names or {"category"} & names):
        return "nte-csv"
    raise InvalidImport(
        "The header does not look like a police.uk street CSV (Crime ID, Month, Longitude, "
        "Latitude, Crime type, ...), its API variant (Month, Longitude, Latitude, Crime type), "
        "or an NTE Safe CSV (occurred_at, lat, lon, main_category).",
        field="file",
    )


class _Hasher:
    """Content-hash ids with an occurrence number among identical rows of the same file. Memory is
    one small int per distinct hashed row (rows with a Crime ID cost nothing)."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def __call__(self, prefix: str, content: str) -> str:
        digest = hashlib.sha256(content.encode()).digest()
        key = int.from_bytes(digest[:8], "big")
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        if n == 0:
            return f"{prefix}:{digest[:20].hex()}"
        return f"{prefix}:{hashlib.sha256(digest + n.to_bytes(4, 'big')).digest()[:20].hex()}"


@lru_cache(maxsize=4096)
def _month_start(text: str) -> datetime:
    parsed = datetime.strptime(text.strip(), "%Y-%m")
    return datetime(parsed.year, parsed.month, 1, tzinfo=LONDON).astimezone(UTC)


def _coords(lon_text: str, lat_text: str) -> tuple[float, float] | RowError | None:
    lon_text, lat_text = (lon_text or "").strip(), (lat_text or "").strip()
    if not lon_text or not lat_text:
        return None
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return RowError(0, "bad_row", "Longitude/Latitude are not numbers")
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return RowError(0, "bad_row", "Longitude/Latitude are out of range")
    return lon, lat


def _parse_police(rec: dict[str, str], line: int, fmt: str, hasher: _Hasher) -> ParsedRow | RowError:
    try:
        occurred = _month_start(rec.get("Month") or "")
    except ValueError:
        return RowError(line, "bad_row", "Month must be YYYY-MM")
    crime_type = (rec.get("Crime type") or "").strip()
    if not crime_type:
        return RowError(line, "bad_row", "Crime type is empty")
    coords = _coords(rec.get("Longitude", ""), rec.get("Latitude", ""))
    if coords is None:
        return RowError(line, "no_coordinates", "Longitude/Latitude are empty")
    if isinstance(coords, RowError):
        coords.line = line
        return coords
    crime_id = (rec.get("Crime ID") or "").strip()
    if crime_id:
        external = "police:" + crime_id[:70]
    else:
        content = "\x1f".join(f"{k}={(v or '').strip()}" for k, v in sorted(rec.items()) if k)
        external = hasher("police-sha", content)
    return ParsedRow(line, external, "police", occurred, "month", coords[0], coords[1], [police_slug(crime_type)])


def _parse_occurred(value: str) -> tuple[datetime, str]:
    text = (value or "").strip()
    if len(text) == 7:
        return _month_start(text), "month"
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), LONDON).astimezone(UTC), "approximate"
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.astimezone(UTC), "exact"


def _nte_categories(rec: dict[str, Any]) -> list[str] | str:
    raw = rec.get("categories") or rec.get("main_category") or rec.get("category") or ""
    values = raw if isinstance(raw, list) else [c.strip() for c in str(raw).replace(",", ";").split(";")]
    main = str(rec.get("main_category") or "").strip()
    cats = [c for c in ([main] if main else []) + [str(v).strip() for v in values] if c]
    out: list[str] = []
    for c in cats:
        if c not in CATEGORIES and not c.startswith("police:"):
            return f"unknown category {c[:40]!r}"
        if c not in out:
            out.append(c[:40])
    return out or "no category"


def _parse_nte(rec: dict[str, Any], line: int, hasher: _Hasher, *, lon: Any, lat: Any) -> ParsedRow | RowError:
    try:
        occurred, precision = _parse_occurred(str(rec.get("occurred_at") or rec.get("month") or ""))
    except ValueError:
        return RowError(line, "bad_row", "occurred_at must be an ISO 8601 date-time, a date or YYYY-MM")
    if rec.get("time_precision") in ("exact", "approximate", "month"):
        precision = str(rec["time_precision"])
    coords = _coords(str(lon if lon is not None else ""), str(lat if lat is not None else ""))
    if coords is None:
        return RowError(line, "no_coordinates", "lat/lon are empty")
    if isinstance(coords, RowError):
        coords.line = line
        return coords
    cats = _nte_categories(rec)
    if isinstance(cats, str):
        return RowError(line, "bad_row", cats)
    factors = [f.strip() for f in str(rec.get("factors") or "").replace(";", ",").split(",") if f.strip()]
    if any(f not in FACTORS for f in factors):
        return RowError(line, "bad_row", "unknown environmental factor")
    description = str(rec.get("description") or "").replace("\x00", "").strip()[:2000] or None
    external = str(rec.get("external_id") or "").strip()[:70]
    if external:
        external = "ext:" + external
    else:
        content = (
            json.dumps({k: rec.get(k) for k in sorted(rec) if k not in ("id", "status")}, sort_keys=True, default=str)
            + f"|{lon}|{lat}"
        )
        external = hasher("sha", content)
    return ParsedRow(
        line,
        external,
        "police" if cats[0].startswith("police:") else "import",
        occurred,
        precision,
        coords[0],
        coords[1],
        cats,
        ",".join(factors) or None,
        scrub(description) if description else None,
    )


def read_csv(
    lines: LineSource, fmt: str, on_error: Callable[[RowError], None], on_format: Callable[[str], None] | None = None
) -> Iterator[ParsedRow]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidImport("The file is empty.", field="file") from None
    except csv.Error as exc:
        raise InvalidImport(f"The header line is not valid CSV ({exc}).", field="file") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    found = detect_format(header)
    if fmt != "auto" and fmt != found:
        raise InvalidImport(f"You chose {fmt!r} but the header looks like {found!r}.", field="format")
    if on_format:
        on_format(found)
    hasher = _Hasher()
    width = len(header)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            on_error(RowError(lines.line_no, "bad_row", f"not valid CSV ({exc})"))
            continue
        line = lines.line_no
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != width:
            on_error(RowError(line, "bad_row", f"expected {width} columns, found {len(row)}"))
            continue
        rec = dict(zip(header, row, strict=True))
        if found in ("police", "police-api"):
            parsed = _parse_police(rec, line, found, hasher)
        else:
            parsed = _parse_nte(rec, line, hasher, lon=rec.get("lon"), lat=rec.get("lat"))
        if isinstance(parsed, RowError):
            on_error(parsed)
        else:
            yield parsed


def read_geojson(
    stream: IO[bytes], on_error: Callable[[RowError], None], progress: Callable[[int], None] | None = None
) -> Iterator[ParsedRow]:
    """Features of a FeatureCollection, one at a time (the file is never held whole)."""
    hasher = _Hasher()
    for index, feature in _iter_features(stream, progress):
        line = index + 1  # feature number
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            on_error(RowError(line, "bad_row", "not a GeoJSON Feature"))
            continue
        geometry = feature.get("geometry")
        if geometry is None:
            on_error(RowError(line, "no_coordinates", "the feature has no geometry"))
            continue
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(geometry.get("coordinates"), list)
            or len(geometry["coordinates"]) < 2
        ):
            on_error(RowError(line, "bad_row", "geometry must be a Point"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            on_error(RowError(line, "bad_row", "properties must be an object"))
            continue
        lon, lat = geometry["coordinates"][:2]
        if "Crime type" in props:
            rec = {str(k): "" if v is None else str(v) for k, v in props.items()}
            rec["Longitude"], rec["Latitude"] = str(lon), str(lat)
            parsed = _parse_police(rec, line, "police", hasher)
        else:
            parsed = _parse_nte(props, line, hasher, lon=lon, lat=lat)
        if isinstance(parsed, RowError):
            on_error(parsed)
        else:
            yield parsed


def _iter_features(stream: IO[bytes], progress: Callable[[int], None] | None) -> Iterator[tuple[int, Any]]:
    """Each element of the ``features`` array, decoded. An element nested more than
    ``MAX_GEOJSON_DEPTH`` levels, or longer than ``MAX_FEATURE_CHARS``, refuses the whole file (a
    report is a Point with flat properties; collections of collections or properties holding huge
    nested objects are not reports)."""
    decoder = json.JSONDecoder()
    text_stream = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    buffer = ""
    eof = False

    def more() -> bool:
        nonlocal buffer, eof
        chunk = stream.read(65536)
        if progress and chunk:
            progress(len(chunk))
        if not chunk:
            eof = True
            buffer += text_stream.decode(b"", final=True)
            return False
        try:
            buffer += text_stream.decode(chunk)
        except UnicodeDecodeError:
            raise InvalidImport("The GeoJSON file is not UTF-8 text.", field="file") from None
        return True

    # Find the features array.
    while True:
        at = buffer.find('"features"')
        if at >= 0:
            bracket = buffer.find("[", at)
            if bracket >= 0:
                buffer = buffer[bracket + 1 :]
                break
        if not more():
            raise InvalidImport('This is not a GeoJSON FeatureCollection (no "features" array).', field="file")
    index = 0
    while True:
        stripped = buffer.lstrip(" \t\r\n,")
        if not stripped:
            buffer = ""
            if not more():
                raise InvalidImport("The GeoJSON file ends in the middle of the features array.", field="file")
            continue
        buffer = stripped
        if buffer[0] == "]":
            return
        try:
            obj, end = decoder.raw_decode(buffer)
        except RecursionError:
            # Arrays or objects nested about 1,000 deep (how deep depends on the stack): the
            # decoder gives up, and so do we, the same way as for any feature nested too deeply.
            raise InvalidImport(nested_too_deeply(f"Feature {index + 1}"), field="file") from None
        except json.JSONDecodeError as exc:
            # Incomplete so far: read on, unless the feature is already longer than any report
            # (each retry decodes from the feature's start, so this also bounds the work).
            if len(buffer) > MAX_FEATURE_CHARS:
                raise InvalidImport(
                    f"Feature {index + 1} is longer than {MAX_FEATURE_CHARS:,} characters, or is not valid JSON "
                    f"({exc.msg}); a report is a point with a few short properties.",
                    field="file",
                ) from None
            if not eof and more():
                continue
            raise InvalidImport(f"Feature {index + 1} is not valid JSON ({exc.msg}).", field="file") from None
        if too_deep(obj):
            raise InvalidImport(nested_too_deeply(f"Feature {index + 1}"), field="file")
        buffer = buffer[end:]
        yield index, obj
        index += 1


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
    writer = csv.writer(fh)
    writer.writerow(["line", "reason", "detail"])

    def write_and_keep(err: RowError) -> None:
        writer.writerow([err.line, REASONS[err.reason], err.detail])
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
        lock = threading.Lock()

        def reject(err: RowError) -> None:  # both threads: the error file and the counters
            with lock:
                summary.rejected[err.reason] += 1
                add_error(err)

        def on_error(err: RowError) -> None:  # reading thread: a line that never became a row
            summary.rows_read += 1
            reject(err)

        def write(prepared: _Prepared | None, *, finished: bool = False) -> None:
            if prepared is not None:
                _store_batch(session, prepared, summary, ward_sets)
            with lock:
                _save_progress(record, summary, now, finished=finished)
            session.flush()
            if checkpoint:
                checkpoint()

        # Batch N's database work (look up ids already present, COPY, commit) runs in one writer
        # thread while the reading thread parses batch N+1 and turns it into rows (ward, grid
        # reference, columns): the database's time is mostly hidden behind the Python work. One
        # batch in flight at most, in order, and only the writer thread touches the session meanwhile.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-import")
        pending: Future[None] | None = None
        try:
            is_geojson = file_format == "geojson" or filename.lower().endswith((".geojson", ".json"))
            if is_geojson:
                summary.file_format = record.file_format = "geojson"
                rows: Iterable[ParsedRow] = read_geojson(stream, on_error, progress)
            else:

                def on_format(found: str) -> None:
                    summary.file_format = record.file_format = found

                rows = read_csv(
                    LineSource(stream, encoding=encoding, on_error=on_error, progress=progress),
                    file_format,
                    on_error,
                    on_format,
                )
            batch: list[ParsedRow] = []
            for parsed in rows:
                if row_filter is not None and not row_filter(parsed):
                    continue
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
