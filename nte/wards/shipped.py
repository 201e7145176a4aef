"""The ward boundaries shipped with NTE Safe: May 2022 (current in every borough) and December 2013
(the vintage the 2016 police.uk records were published in), loaded once each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from nte.wards import repository as repo
from nte.wards.geojson import detect_properties, parse_wards, read_feature_collection
from nte.wards.service import WardImport, import_wards

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class ShippedVintage:
    vintage: str
    name: str
    when: date
    path: Path
    source: str
    attribution: str


MAY_2022 = ShippedVintage(
    vintage="2022-05",
    name="May 2022",
    when=date(2022, 5, 5),
    path=DATA / "wards-2022" / "six-boroughs-wards-may2022.geojson",
    source="ONS electoral wards May 2022 (clipped, generalised), via open-innovations/geography-bits",
    attribution=(
        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0; "
        "Contains OS data © Crown copyright and database right 2021."
    ),
)
DECEMBER_2013 = ShippedVintage(
    vintage="2013-12",
    name="December 2013",
    when=date(2013, 12, 1),
    path=DATA / "wards" / "six-boroughs-wards-dec2013.geojson",
    source="ONS generalised clipped electoral wards Dec 2013, via martinjc/UK-GeoJSON",
    attribution=(
        "Contains Ordnance Survey, Office of National Statistics, National Records Scotland and LPS Intellectual "
        "Property data © Crown copyright and database right [2016]. Data licensed under the terms of the Open "
        "Government Licence v3.0. Ordnance Survey data covered by OS OpenData Licence. Boundaries: ONS generalised "
        "clipped electoral wards, December 2013, via martinjc/UK-GeoJSON."
    ),
)
#: Current first: a borough with no current set takes the first vintage loaded for it.
SHIPPED = (MAY_2022, DECEMBER_2013)


def import_vintage(session: Session, shipped: ShippedVintage, *, make_current: bool | None = None) -> WardImport | None:
    if repo.get_ward_set_by_vintage(session, shipped.vintage) is not None:
        return None
    collection = read_feature_collection(shipped.path)
    props = detect_properties(collection)
    parsed = parse_wards(collection, **{k: v for k, v in props.items() if v is not None})
    return import_wards(
        session,
        parsed=parsed,
        name=shipped.name,
        vintage=shipped.vintage,
        vintage_date=shipped.when,
        source=shipped.source,
        attribution=shipped.attribution,
        make_current=make_current,
    )


def import_shipped_wards(session: Session) -> list[WardImport]:
    """Load both shipped vintages (each once). May 2022 becomes current wherever no set is current yet."""
    return [r for r in (import_vintage(session, s) for s in SHIPPED) if r is not None]
