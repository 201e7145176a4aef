"""Importing a vintage of ward boundaries (all or nothing, a borough at a time if need be), choosing
the current vintage per borough (audited, and switched back the same way), and what each holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.db import utcnow
from nte.spatial import area_km2, to_db
from nte.wards import repository as repo
from nte.wards.exceptions import BoroughWithoutWards, InvalidWardFile, WardSetConflict
from nte.wards.geojson import ParsedWards
from nte.wards.models import Ward, WardSet
from nte.wards.service.placements import resolve_vintage


@dataclass
class WardImport:
    ward_set: WardSet
    count: int
    boroughs: list[str]
    made_current: list[str]
    notes: list[str] = field(default_factory=list)
    created: bool = True


def _vintage_key(vintage: str | None, vintage_date: date | None) -> str:
    key = (vintage or "").strip() or (vintage_date.isoformat()[:7] if vintage_date else "")
    if not key:
        raise InvalidWardFile("Give the vintage (e.g. --vintage 2022-05) or the date it took effect.", field="vintage")
    if len(key) > 20 or not all(c.isalnum() or c in "-_." for c in key):
        raise InvalidWardFile("A vintage is up to 20 letters, digits, '-', '_' or '.' (e.g. 2022-05).", field="vintage")
    return key


def import_wards(
    session: Session,
    *,
    parsed: ParsedWards,
    name: str,
    source: str,
    attribution: str,
    vintage: str | None = None,
    vintage_date: date | None = None,
    borough: str | None = None,
    make_current: bool | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> WardImport:
    """Store a vintage's wards (all or nothing). A vintage may be imported one borough at a time:
    a borough it already holds is refused. ``borough`` keeps only that borough's features of a
    larger file. ``make_current``: True makes the imported boroughs current, False never, None
    (default) only those with no current set yet. Records are assigned by ``assign_set``."""
    now = now or utcnow()
    key = _vintage_key(vintage, vintage_date)
    name = (name or "").strip()
    attribution = (attribution or parsed.attribution or "").strip()
    if not name:
        raise InvalidWardFile("Give the ward set a name (its vintage, e.g. 'May 2022').", field="name")
    if not attribution:
        raise InvalidWardFile("Boundary data needs its attribution text.", field="attribution")
    features = parsed.features
    if borough is not None:
        features = [f for f in features if f.borough_code == borough]
        if not features:
            held = sorted({f.borough_code for f in parsed.features})
            raise InvalidWardFile(
                f"Borough {borough} has no wards in this file (it holds {', '.join(held) or 'none'}).",
                field="borough",
            )
    if not features:
        raise InvalidWardFile("The file holds no wards.", field="file")
    boroughs = sorted({f.borough_code for f in features})
    ward_set = repo.get_ward_set_by_vintage(session, key)
    created = ward_set is None
    if ward_set is None:
        clash = repo.get_ward_set_by_name(session, name)
        if clash is not None:
            raise WardSetConflict(
                f"A ward set called {name!r} already exists with vintage {clash.vintage}.", field="name"
            )
        ward_set = repo.add_ward_set(
            session,
            WardSet(
                name=name[:120],
                vintage=key,
                vintage_date=vintage_date,
                source=(source or "")[:300],
                attribution=attribution,
                imported_at=now,
                version=1,
            ),
        )
    else:
        in_set = repo.boroughs_in_set(session, ward_set.id)
        already = [b for b in boroughs if b in in_set]
        if already:
            raise WardSetConflict(
                f"Vintage {key} already holds the wards of {', '.join(already)}; import another vintage instead.",
                field="borough",
            )
        existing = {w.code for w in repo.wards_of_set(session, ward_set.id)}
        dup = sorted(existing & {f.code for f in features})
        if dup:
            raise InvalidWardFile(f"Ward code {dup[0]} is already in vintage {key}.", field="code")
        ward_set.version += 1
        if attribution not in ward_set.attribution:
            ward_set.attribution = f"{ward_set.attribution} {attribution}"
    repo.add_wards(
        session,
        [
            Ward(
                ward_set_id=ward_set.id,
                code=f.code,
                name=f.name,
                borough_code=f.borough_code,
                borough_name=f.borough_name,
                area_km2=area_km2(f.geometry),
                geom=to_db(f.geometry),
            )
            for f in features
        ],
    )
    current = repo.current_sets(session)
    made_current = [b for b in boroughs if make_current or (make_current is None and b not in current)]
    for b in made_current:
        repo.set_current(session, borough_code=b, ward_set_id=ward_set.id, now=now)
    repo.refresh_active_flags(session)
    audit.record(
        session,
        actor=actor,
        action="wards.import",
        target_type="ward_set",
        target_id=ward_set.id,
        detail={
            "vintage": key,
            "name": ward_set.name,
            "wards": len(features),
            "boroughs": boroughs,
            "current": made_current,
            "notes": len(parsed.notes),
            "reprojected_from": parsed.source_crs if parsed.reprojected else None,
        },
        at=now,
    )
    ward_set = repo.reload(session, ward_set)
    return WardImport(ward_set, len(features), boroughs, made_current, list(parsed.notes), created)


@dataclass
class Activation:
    vintage: str
    changed: list[tuple[str, str | None]]  # (borough, vintage it was current in before)


def activate(
    session: Session,
    *,
    vintage: str,
    borough: str | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> Activation:
    """Make ``vintage`` current in one borough (or in every borough it holds). Audited; switching
    back is the same call with the earlier vintage. Stored assignments are untouched."""
    now = now or utcnow()
    ward_set = resolve_vintage(session, vintage)
    held = repo.boroughs_in_set(session, ward_set.id)
    if borough is not None and borough not in held:
        raise BoroughWithoutWards(borough, ward_set.vintage)
    targets = [borough] if borough is not None else sorted(held)
    current = repo.current_sets(session)
    names = {s.id: s.vintage for s in repo.list_ward_sets(session)}
    changed: list[tuple[str, str | None]] = []
    for b in targets:
        before = current.get(b)
        if before == ward_set.id:
            continue
        repo.set_current(session, borough_code=b, ward_set_id=ward_set.id, now=now)
        changed.append((b, names.get(before) if before is not None else None))
    repo.refresh_active_flags(session)
    audit.record(
        session,
        actor=actor,
        action="wards.activate",
        target_type="ward_set",
        target_id=ward_set.id,
        detail={"vintage": ward_set.vintage, "boroughs": [{"borough": b, "from": f} for b, f in changed]},
        at=now,
    )
    return Activation(ward_set.vintage, changed)


@dataclass(frozen=True)
class VintageSummary:
    ward_set: WardSet
    boroughs: dict[str, tuple[str, int]]  # code -> (name, wards)
    current_in: list[str]
    assigned: dict[str, tuple[int, int]]  # subject -> (in a ward, outside)


def summaries(session: Session) -> list[VintageSummary]:
    current = repo.current_sets(session)
    out = []
    for s in repo.list_ward_sets(session):
        out.append(
            VintageSummary(
                s,
                repo.boroughs_in_set(session, s.id),
                sorted(b for b, set_id in current.items() if set_id == s.id),
                repo.assignment_counts(session, ward_set_id=s.id),
            )
        )
    return out
