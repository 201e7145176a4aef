"""Every table of located records, for ``main.py wards assign`` and the demo: each is assigned to a
ward in every ward vintage (``nte.wards.service.assign_set``). A domain with located records adds
its line here; the wards foundation itself never imports a domain."""

from __future__ import annotations

from nte.reports import models as reports
from nte.safespaces import models as safespaces
from nte.venues import models as venues
from nte.wards.service import Located

LOCATED: tuple[Located, ...] = (
    Located(reports.WARD_SUBJECT, "reports", reports.Report.id, reports.Report.geom),
    Located(venues.WARD_SUBJECT, "venues", venues.Venue.id, venues.Venue.geom),
    Located(safespaces.WARD_SUBJECT, "safe spaces", safespaces.SafeSpace.id, safespaces.SafeSpace.geom),
)
