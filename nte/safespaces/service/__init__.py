"""Safe-space rules, one module per part (never commits; validates everything before the first
``session.add``):

- ``fields``: what a space holds, checked one way (a declarative field list and named checks);
- ``registry``: officers add, edit, verify, withdraw; one space's detail;
- ``proposals``: owners propose changes, officers decide;
- ``status``: opening status of stored hours (closed when unsure);
- ``search``: nearest (open now), the GeoJSON layer, wards to choose from without a map;
- ``importer``: CSV import;
- ``reminders``: re-confirming hours before they go stale.

This module only names what callers use."""

from __future__ import annotations

from nte.safespaces.service.fields import IDENTITY, OWNER_FIELDS, clean_fields, parse_overrides, schedule_from_input
from nte.safespaces.service.importer import MAX_UPLOAD, ImportResult, already_imported, import_csv, upload_text
from nte.safespaces.service.proposals import (
    decide_proposal,
    get_proposal,
    is_owner,
    list_proposals,
    owned_record,
    pending_proposals,
    propose_change,
    spaces_owned_by,
)
from nte.safespaces.service.registry import (
    STATUSES,
    SpaceRecord,
    change_status,
    confirm_hours,
    create_space,
    detail_of,
    display_name,
    get_space,
    list_spaces,
    public_detail,
    space_detail,
    space_record,
    update_space,
    verify_space,
    withdraw_space,
)
from nte.safespaces.service.reminders import REMIND_DAYS_BEFORE, hours_due, reconfirm_reminders
from nte.safespaces.service.search import (
    FALLBACK_DISTANCE_M,
    MAX_DISTANCE_M,
    MAX_LIMIT,
    NHS_ATTRIBUTION,
    HelpSearch,
    NearbySpace,
    NearestResult,
    WardChoice,
    find_nearest,
    geojson,
    help_search,
    parse_bbox,
    public_layer,
    public_spaces,
    validate_search,
    ward_choices,
    ward_point,
)
from nte.safespaces.service.status import STALE_AFTER_DAYS

__all__ = [
    "FALLBACK_DISTANCE_M",
    "MAX_DISTANCE_M",
    "MAX_LIMIT",
    "MAX_UPLOAD",
    "NHS_ATTRIBUTION",
    "OWNER_FIELDS",
    "REMIND_DAYS_BEFORE",
    "STALE_AFTER_DAYS",
    "STATUSES",
    "IDENTITY",
    "HelpSearch",
    "ImportResult",
    "NearbySpace",
    "NearestResult",
    "SpaceRecord",
    "WardChoice",
    "already_imported",
    "change_status",
    "clean_fields",
    "confirm_hours",
    "create_space",
    "decide_proposal",
    "detail_of",
    "display_name",
    "find_nearest",
    "geojson",
    "get_proposal",
    "get_space",
    "help_search",
    "hours_due",
    "import_csv",
    "is_owner",
    "list_proposals",
    "list_spaces",
    "owned_record",
    "parse_bbox",
    "parse_overrides",
    "pending_proposals",
    "propose_change",
    "public_detail",
    "public_layer",
    "public_spaces",
    "reconfirm_reminders",
    "schedule_from_input",
    "space_detail",
    "space_record",
    "spaces_owned_by",
    "update_space",
    "validate_search",
    "verify_space",
    "ward_choices",
    "ward_point",
    "upload_text",
    "withdraw_space",
]
