"""Every collection /ogc serves, in the order the collections document lists them. A collection is
added here, by a plain import; the router gives each its routes with its role."""

from __future__ import annotations

from nte.ogc.collections.base import Collection
from nte.ogc.collections.hotspot_cells import HotspotCellsCollection
from nte.ogc.collections.patrol_areas import PatrolAreasCollection
from nte.ogc.collections.patrol_shifts import PatrolShiftsCollection
from nte.ogc.collections.reports import ReportsCollection
from nte.ogc.collections.safe_spaces import SafeSpacesCollection
from nte.ogc.collections.venue_register import VenueRegisterCollection
from nte.ogc.collections.venues import VenuesCollection
from nte.ogc.collections.ward_counts import WardCountsCollection
from nte.ogc.collections.wards import WardsCollection

COLLECTIONS: tuple[Collection, ...] = (
    WardsCollection("2022-05", "Wards (May 2022 boundaries, in force today)"),
    WardsCollection("2013-12", "Wards (December 2013 boundaries, as the 2016 police.uk data)"),
    VenuesCollection(),
    SafeSpacesCollection(),
    WardCountsCollection(),
    ReportsCollection(),
    HotspotCellsCollection(),
    VenueRegisterCollection(),
    PatrolAreasCollection(),
    PatrolShiftsCollection(),
)
