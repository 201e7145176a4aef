"""Wards: the served area, the ward at a point (in any vintage), importing a vintage, choosing the
current vintage per borough, and assigning every located record to a ward in every vintage.

A *placement* says which ward set each served borough's figures are in: by default each borough's
current set, or one vintage for all. Anything derived from a set (its ``WardIndex``, the service
area) is cached per process, keyed by the sets' ids and versions, so an import or a switch is seen
at once and nothing stale is served.

One module per section: ``placements`` (which set each borough is in; the vintages), ``lookup``
(the ward at a point or by code, the service area), ``assignment`` (located records to wards),
``features`` (GeoJSON out) and ``loading`` (importing a vintage, choosing the current one). Every
name is imported from here: ``from nte.wards import service``."""

from __future__ import annotations

from nte.wards.service.assignment import (
    AssignResult,
    Located,
    assign_points,
    assign_record,
    assign_record_in_ward,
    assign_set,
    forget_records,
    pending,
    refresh_statistics,
    wards_of_record,
)
from nte.wards.service.features import (
    feature_collection,
    rfc7946_geometry,
    ward_feature,
)
from nte.wards.service.loading import (
    Activation,
    VintageSummary,
    WardImport,
    activate,
    import_wards,
    summaries,
)
from nte.wards.service.lookup import (
    WardChoice,
    get_ward,
    index_for,
    locate,
    placement_area,
    service_area,
    set_index,
    ward_choice,
    ward_choices,
    ward_geometry,
    ward_name_at,
    wards_touching,
)
from nte.wards.service.placements import (
    CURRENT,
    LAT_RANGE,
    LON_RANGE,
    Placement,
    ServedBorough,
    placement,
    resolve_vintage,
    served_boroughs,
    served_wards,
    stamp,
    validate_point,
    vintages,
    ward_set_of,
    wards_of,
)

__all__ = [
    "Activation",
    "AssignResult",
    "CURRENT",
    "LAT_RANGE",
    "LON_RANGE",
    "Located",
    "Placement",
    "ServedBorough",
    "VintageSummary",
    "WardChoice",
    "WardImport",
    "activate",
    "assign_points",
    "assign_record",
    "assign_record_in_ward",
    "assign_set",
    "feature_collection",
    "forget_records",
    "get_ward",
    "import_wards",
    "index_for",
    "locate",
    "pending",
    "placement",
    "placement_area",
    "refresh_statistics",
    "resolve_vintage",
    "rfc7946_geometry",
    "served_boroughs",
    "served_wards",
    "service_area",
    "set_index",
    "stamp",
    "summaries",
    "validate_point",
    "vintages",
    "ward_choice",
    "ward_choices",
    "ward_feature",
    "ward_geometry",
    "ward_name_at",
    "ward_set_of",
    "wards_of",
    "wards_of_record",
    "wards_touching",
]
