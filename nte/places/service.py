"""Find a place by postcode, street or name, with no third party: the postcode points loaded here
(ONSPD, Code-Point Open, or the demo's derived points), the served wards, and the names and streets
of *verified* venues and safe spaces. Nothing private is searched (no report data, no unverified or
withdrawn venue), and the query text is never logged: it can be someone's home postcode.

Ranking: a postcode first (exact, then its sector or outward code as the mean of its points), then
names, each scored exact > starts with > a word starts with > contains, case- and accent-
insensitively (folded in Python over a bounded set, so SpatiaLite and PostGIS answer the same).

Never commits (the caller owns the transaction)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.errors import NTEError
from nte.places import repository as repo
from nte.places.exceptions import InvalidPlaceQuery, InvalidPostcode, PostcodeNotFound
from nte.places.formats import SOURCE_OF, BadRow, Format, PostcodeRow, read_rows
from nte.postcodes import normalise_postcode
from nte.spatial import to_bng, to_wgs84
from nte.spatial.coords import round_coord
from nte.wards import service as wards_service

KINDS = ("postcode", "ward", "venue", "safe_space", "street")
MIN_QUERY, MAX_QUERY = 2, 80
DEFAULT_LIMIT, MAX_LIMIT = 8, 20
#: How many postcodes are written per statement batch during an import.
BATCH_ROWS = 5_000
#: Around the served area, postcodes this far out are still kept (a venue just over the border).
BBOX_MARGIN_M = 2_000.0
#: Bad rows named one by one in an import summary (the rest are counted).
BAD_ROWS_SHOWN = 50

#: An outward code alone ("SW1A", "E1", "WC2H"), by the Royal Mail pattern of nte.postcodes.
OUTWARD_RE = re.compile(
    r"^(GIR|[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPS-UW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y])$"
)


@dataclass(frozen=True)
class Place:
    label: str
    kind: str  # one of KINDS
    lon: float
    lat: float
    approximate: bool
    ward_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["lon"], out["lat"] = round_coord(self.lon), round_coord(self.lat)
        return out


# --- text folding ----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case, accents dropped, punctuation to spaces, single spaces: "St. Mary's Café" -> "st mary s cafe"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def _score(folded_label: str, q: str) -> int | None:
    """0 exact, 1 starts with, 2 a word starts with, 3 contains; None: no match."""
    if folded_label == q:
        return 0
    if folded_label.startswith(q):
        return 1
    if f" {q}" in f" {folded_label}":
        return 2
    if q in folded_label:
        return 3
    return None


STREET_WORDS = frozenset(
    "street st road rd lane place square row way avenue hill court yard gardens terrace walk mews crescent grove "
    "close parade market broadway gate bridge embankment passage alley circus green rise vale drive park wharf "
    "quay end approach buildings arcade piazza strand cut".split()
)
_HOUSE_NUMBER = re.compile(r"^(?:(?:unit|flat|shop|no\.?)\s+)?\d+[a-z]?(?:\s*[-/]\s*\d+[a-z]?)?\s+", re.IGNORECASE)


def street_of(address: str | None) -> str | None:
    """The street in an address: "12-14 Old Compton Street, London" -> "Old Compton Street"."""
    if not address:
        return None
    parts = [p.strip() for p in address.split(",") if p.strip()]
    for part in parts:
        name = _HOUSE_NUMBER.sub("", part).strip()
        words = fold(name).split()
        if len(words) >= 2 and words[-1] in STREET_WORDS and not any(ch.isdigit() for ch in name):
            return name
    return None


# --- the served wards (from the wards foundation) ----------------------------------------------------


def _wards(session: Session, settings: Settings) -> list[wards_service.WardChoice] | None:
    try:
        return wards_service.ward_choices(session, settings=settings)
    except NTEError:
        return None


def _name_at(session: Session, settings: Settings, lon: float, lat: float) -> str | None:
    return wards_service.ward_name_at(session, settings=settings, lon=lon, lat=lat)


# --- postcodes -------------------------------------------------------------------------------------


def check_query(q: Any, *, field: str = "q") -> str:
    text = " ".join(str(q or "").split())
    if not MIN_QUERY <= len(text) <= MAX_QUERY:
        raise InvalidPlaceQuery(
            f"Type a postcode, street or place name of {MIN_QUERY} to {MAX_QUERY} characters.", field=field
        )
    return text


def postcode_place(session: Session, *, postcode: str, settings: Settings, field: str = "postcode") -> Place:
    """The point of a full postcode; InvalidPostcode (422) or PostcodeNotFound (404)."""
    normal = normalise_postcode(postcode or "")
    if normal is None:
        raise InvalidPostcode(field=field)
    row = repo.postcode_row(session, normal)
    if row is None:
        raise PostcodeNotFound(normal, field=field)
    return Place(
        label=normal,
        kind="postcode",
        lon=float(row.lon),
        lat=float(row.lat),
        approximate=bool(row.approximate),
        ward_name=_name_at(session, settings, float(row.lon), float(row.lat)),
    )


def postcode_point(session: Session, *, postcode: str) -> tuple[float, float, bool] | None:
    """(lon, lat, approximate) of a full postcode, or None when it is not one we have a point for."""
    normal = normalise_postcode(postcode or "")
    row = repo.postcode_row(session, normal) if normal else None
    return (float(row.lon), float(row.lat), bool(row.approximate)) if row is not None else None


def _postcode_places(session: Session, text: str, limit: int) -> list[tuple[float, float, str, bool]]:
    """(lon, lat, label, approximate) for a postcode-shaped query: the postcode, its sector or its
    outward code (their mean point), or the outward codes it starts ("SW1" -> SW1A, SW1E ...). A
    postcode with a wrong or missing last letter ("WC2H 9N") finds nothing: better "check the
    postcode" than a neighbour's point."""
    compact = re.sub(r"\s+", "", text.upper())
    if not compact or not compact[0].isalpha() or len(compact) > 7:
        return []
    full = normalise_postcode(compact)
    if full is not None:
        row = repo.postcode_row(session, full)
        return [(float(row.lon), float(row.lat), full, bool(row.approximate))] if row is not None else []
    parts = text.upper().split()
    if len(parts) == 2 and OUTWARD_RE.match(parts[0]) and re.fullmatch(r"[0-9]", parts[1]):
        sector = f"{parts[0]} {parts[1]}"
        found = repo.mean_point(session, sector=sector)
        return [(found[0], found[1], sector, True)] if found else []
    if len(parts) == 1:
        out: list[tuple[float, float, str, bool]] = []
        if OUTWARD_RE.match(compact):
            found = repo.mean_point(session, outward=compact)
            if found:
                out.append((found[0], found[1], compact, True))
        if len(compact) <= 4:
            for outward in repo.outwards_starting(session, compact, limit=limit + 1):
                if outward != compact and len(out) < limit:
                    mean = repo.mean_point(session, outward=outward)
                    if mean:
                        out.append((mean[0], mean[1], outward, True))
        return out
    return []


# --- search ----------------------------------------------------------------------------------------


@dataclass(order=True)
class _Candidate:
    score: int
    kind_rank: int
    folded: str
    place: Place = field(compare=False)


def _name_candidates(session: Session, q: str, wards: list[wards_service.WardChoice] | None) -> Iterator[_Candidate]:
    rank = {k: i for i, k in enumerate(KINDS)}
    for ward in wards or []:
        folded = fold(ward.name)
        score = _score(folded, q)
        if score is not None:
            yield _Candidate(score, rank["ward"], folded, Place(ward.name, "ward", ward.lon, ward.lat, True, ward.name))
    streets: dict[str, list[tuple[str, float, float]]] = {}
    ward_names = {w.code: w.name for w in wards or []}
    for row in repo.verified_venue_rows(session):
        folded = fold(row.name)
        score = _score(folded, q)
        if score is not None and row.lon is not None:
            place = Place(row.name, "venue", float(row.lon), float(row.lat), False, ward_names.get(row.ward_code))
            yield _Candidate(score, rank["venue"], folded, place)
        street = street_of(row.address)
        if street and row.lon is not None:
            streets.setdefault(fold(street), []).append((street, float(row.lon), float(row.lat)))
    for row in repo.verified_safe_space_rows(session):
        if row.lon is None:
            continue
        folded = fold(row.name or "")
        score = _score(folded, q) if folded else None
        if score is not None:
            place = Place(row.name, "safe_space", float(row.lon), float(row.lat), False, None)
            yield _Candidate(score, rank["safe_space"], folded, place)
        street = street_of(row.address)
        if street:
            streets.setdefault(fold(street), []).append((street, float(row.lon), float(row.lat)))
    for folded, points in streets.items():
        score = _score(folded, q)
        if score is None:
            continue
        lon = sum(p[1] for p in points) / len(points)
        lat = sum(p[2] for p in points) / len(points)
        yield _Candidate(score, rank["street"], folded, Place(points[0][0], "street", lon, lat, True, None))


def search(session: Session, *, q: str, limit: int = DEFAULT_LIMIT, settings: Settings) -> list[Place]:
    """Places matching ``q`` (2-80 characters), best first, at most ``limit``."""
    text = check_query(q)
    limit = max(1, min(int(limit), MAX_LIMIT))
    wards = _wards(session, settings)
    out: list[Place] = []
    for lon, lat, label, approximate in _postcode_places(session, text, limit):
        out.append(Place(label, "postcode", lon, lat, approximate, _name_at(session, settings, lon, lat)))
    folded_q = fold(text)
    if len(folded_q) >= MIN_QUERY and len(out) < limit:
        best = sorted(_name_candidates(session, folded_q, wards))
        seen: set[tuple[str, str]] = set()
        for candidate in best:
            key = (candidate.place.kind, candidate.folded)
            if key in seen:
                continue
            seen.add(key)
            place = candidate.place
            if place.ward_name is None and wards is not None:
                place = replace(place, ward_name=_name_at(session, settings, place.lon, place.lat))
            out.append(place)
            if len(out) >= limit:
                break
    return out[:limit]


def resolve(session: Session, *, q: str, settings: Settings) -> Place | None:
    """The best place for a page's ``?place=`` (no script): the first search result, or None."""
    found = search(session, q=q, limit=1, settings=settings)
    return found[0] if found else None


# --- import ----------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    outside: int = 0
    terminated: int = 0
    bad: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)  # the first BAD_ROWS_SHOWN

    def add_bad(self, row: BadRow) -> None:
        self.bad += 1
        if len(self.bad_rows) < BAD_ROWS_SHOWN:
            self.bad_rows.append(row)


@dataclass(frozen=True)
class _Box:
    minx: float
    miny: float
    maxx: float
    maxy: float

    def holds(self, x: float, y: float) -> bool:
        return self.minx <= x <= self.maxx and self.miny <= y <= self.maxy


def served_boxes(session: Session, *, settings: Settings, margin_m: float = BBOX_MARGIN_M) -> tuple[_Box, _Box]:
    """The served area's bounding box plus ``margin_m``, in WGS84 and in British National Grid."""
    area = wards_service.service_area(session, settings=settings)
    minx, miny, maxx, maxy = to_bng(area).bounds
    bng = _Box(minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m)
    corners = to_wgs84(shapely.box(bng.minx, bng.miny, bng.maxx, bng.maxy))
    return _Box(*corners.bounds), bng


def import_postcodes(
    session: Session,
    *,
    lines: Iterable[str],
    fmt: Format,
    settings: Settings,
    now: datetime,
    keep_all: bool = False,
) -> ImportSummary:
    """Stream a postcode file (see ``nte.places.formats``) into the postcode table, in batches:
    new postcodes are inserted, known ones updated (a re-run changes nothing twice). Bad rows are
    counted and named with their line number, never fatal. Unless ``keep_all``, only postcodes in
    the served area's bounding box (plus a margin) are kept."""
    summary = ImportSummary(source=SOURCE_OF[fmt])
    boxes = None if keep_all else served_boxes(session, settings=settings)
    batch: dict[str, PostcodeRow] = {}
    for item in read_rows(lines, fmt):
        if isinstance(item, BadRow):
            summary.add_bad(item)
            continue
        summary.read += 1
        if boxes is not None:
            inside = (
                boxes[0].holds(item.lon, item.lat)
                if item.lon is not None and item.lat is not None
                else boxes[1].holds(item.easting or 0.0, item.northing or 0.0)
            )
            if not inside:
                summary.outside += 1
                continue
        if item.terminated_date is not None:
            summary.terminated += 1
        batch[item.postcode] = item  # the same postcode twice in a file: the later row wins
        if len(batch) >= BATCH_ROWS:
            _write(session, batch, summary, now=now)
            batch = {}
    _write(session, batch, summary, now=now)
    return summary


def _write(session: Session, batch: dict[str, PostcodeRow], summary: ImportSummary, *, now: datetime) -> None:
    if not batch:
        return
    rows = list(batch.values())
    grid = [r for r in rows if r.lon is None or r.lat is None]
    converted: dict[int, tuple[float, float]] = {}
    if grid:
        points = to_wgs84(shapely.multipoints([(r.easting, r.northing) for r in grid]))
        for r, p in zip(grid, shapely.get_parts(points), strict=True):
            converted[r.line] = (p.x, p.y)
    values = []
    for r in rows:
        lon, lat = (r.lon, r.lat) if r.lon is not None and r.lat is not None else converted[r.line]
        values.append(
            {
                "postcode": r.postcode,
                "lon": round_coord(lon),
                "lat": round_coord(lat),
                "source": summary.source,
                "approximate": r.approximate,
                "terminated_date": r.terminated_date,
            }
        )
    inserted, updated = repo.upsert_postcodes(session, values, now=now)
    summary.inserted += inserted
    summary.updated += updated


def fill_from_points(session: Session, *, points: Iterable[tuple[str, float, float]], now: datetime) -> tuple[int, int]:
    """Demo fill: one approximate point per postcode, the mean of the points given for it (e.g. the
    shipped pubs and pharmacies). Postcodes already loaded from a real source are left alone;
    earlier demo points are updated. Returns (inserted, updated)."""
    sums: dict[str, list[float]] = {}
    for raw, lon, lat in points:
        postcode = normalise_postcode(raw)
        if postcode is None:
            continue
        acc = sums.setdefault(postcode, [0.0, 0.0, 0.0])
        acc[0] += lon
        acc[1] += lat
        acc[2] += 1
    real = {pc for pc, source in repo.sources_of(session, list(sums)).items() if source != "demo-derived"}
    values = [
        {
            "postcode": pc,
            "lon": round_coord(acc[0] / acc[2]),
            "lat": round_coord(acc[1] / acc[2]),
            "source": "demo-derived",
            "approximate": True,
            "terminated_date": None,
        }
        for pc, acc in sorted(sums.items())
        if pc not in real
    ]
    inserted = updated = 0
    for start in range(0, len(values), BATCH_ROWS):
        i, u = repo.upsert_postcodes(session, values[start : start + BATCH_ROWS], now=now)
        inserted, updated = inserted + i, updated + u
    return inserted, updated
