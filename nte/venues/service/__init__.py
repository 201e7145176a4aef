"""The charter register's rules, one module per part (this file only names them, so
``from nte.venues import service`` keeps working):

- ``validation``: the forms' declared fields and the pieces they are built from
- ``details``, ``pledges``: a venue's details (and where it is) and its seven pledges
- ``records``: finding a venue for a person, finishing and auditing a change, mailing its manager
- ``signup``: signing the charter, with duplicate detection
- ``portal``: what a venue's manager keeps up to date
- ``files``: evidence files
- ``lifecycle``: the state machine (``STATE_TABLE``, ``change_status``), resubmission, renewal
- ``renewal``: the renewal window and the reminders' days
- ``history``: a venue's status history
- ``spot_checks``: officers' spot checks and the actions a failed one opens
- ``flags``, ``queue``: what officers are warned of, and their queue
- ``views``: everything a venue page shows
- ``wards``: ward names and the lists' filters
- ``directory``, ``cache``: the public GeoJSON and its in-process cache
- ``register``: the officers' register and its exports

Never commits (the caller owns the transaction); validates everything before the first write."""

from nte.auth.models import User
from nte.errors import Invalid
from nte.london import london_today
from nte.venues.exceptions import long_date
from nte.venues.service.cache import GEOJSON_CACHE_SIZE, CachedGeoJSON, clear_public_cache
from nte.venues.service.details import (
    LAT_UNREADABLE,
    LON_UNREADABLE,
    NO_WARDS_YET,
    PIN_POSTCODE_FLAG_M,
    CleanDetails,
    PostcodePoint,
)
from nte.venues.service.directory import EXAMPLE_ATTRIBUTION, angela_poster_venues, directory, public_geojson
from nte.venues.service.files import (
    UPLOAD_TYPES,
    add_evidence,
    add_evidence_form,
    evidence_file,
    optional_id,
    sniff,
    upload_root,
)
from nte.venues.service.flags import ANGELA_TRAINING, TrainedShare, flags_by_venue, trained_shares
from nte.venues.service.history import STATUS_EVENTS, StatusStep, recent_events, status_history
from nte.venues.service.lifecycle import (
    ACTION_TARGETS,
    ACTIONS,
    ACTORS,
    JOB,
    MANAGER,
    MOVES,
    NOTE_MAX,
    OFFICER,
    OFFICER_ACTIONS,
    REASON_MAX,
    REASON_REQUIRED,
    STATE_TABLE,
    TRANSITIONS,
    Move,
    change_status,
    check_move,
    officer_actions_from,
    officer_change_status,
    officer_status_form,
    renew_by_manager,
    resubmit,
    resubmit_form,
)
from nte.venues.service.pledges import CleanPledge
from nte.venues.service.portal import (
    add_accreditation,
    add_training,
    my_held_sign_ups,
    my_venues,
    update_details,
    update_pledges,
    update_staff_count,
)
from nte.venues.service.queue import VenueFlags, needs_attention, officer_queue, open_duplicates, resolve_duplicate
from nte.venues.service.records import add_year, touch, venue_for
from nte.venues.service.register import REGISTER_COLUMNS, register, register_csv, register_geojson
from nte.venues.service.renewal import REMINDER_DAYS, Renewal, reminder_days, renewal
from nte.venues.service.signup import DUPLICATE_RADIUS_M, SUBMISSION_KEYS, SignUpResult, sign_charter
from nte.venues.service.spot_checks import add_spot_check, open_actions
from nte.venues.service.validation import (
    FINDINGS_MISSING,
    NEW_STARTERS_MISSING,
    NEW_STARTERS_WRONG,
    STAFF_COUNT_WRONG,
    licence_key,
    name_key,
    normalise_phone,
)
from nte.venues.service.views import VenueView, public_venue, view
from nte.venues.service.wards import check_ward, ward_names, wards_by_name
from nte.venues.vocabulary import (
    ACTION_LABELS,
    FLAG_LABELS,
    OUTCOME_LABELS,
    PLEDGES,
    SCHEME_LABELS,
    STATUS_LABELS,
    TRAINING_TYPE_LABELS,
    VENUE_TYPE_LABELS,
)

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "ACTION_TARGETS",
    "ACTORS",
    "ANGELA_TRAINING",
    "DUPLICATE_RADIUS_M",
    "EXAMPLE_ATTRIBUTION",
    "FINDINGS_MISSING",
    "FLAG_LABELS",
    "GEOJSON_CACHE_SIZE",
    "JOB",
    "LAT_UNREADABLE",
    "LON_UNREADABLE",
    "MANAGER",
    "MOVES",
    "NEW_STARTERS_MISSING",
    "NEW_STARTERS_WRONG",
    "NOTE_MAX",
    "NO_WARDS_YET",
    "OFFICER",
    "OFFICER_ACTIONS",
    "OUTCOME_LABELS",
    "PIN_POSTCODE_FLAG_M",
    "PLEDGES",
    "REASON_MAX",
    "REASON_REQUIRED",
    "REGISTER_COLUMNS",
    "REMINDER_DAYS",
    "SCHEME_LABELS",
    "STAFF_COUNT_WRONG",
    "STATE_TABLE",
    "STATUS_EVENTS",
    "STATUS_LABELS",
    "SUBMISSION_KEYS",
    "TRAINING_TYPE_LABELS",
    "TRANSITIONS",
    "UPLOAD_TYPES",
    "VENUE_TYPE_LABELS",
    "CachedGeoJSON",
    "CleanDetails",
    "CleanPledge",
    "Invalid",
    "Move",
    "PostcodePoint",
    "Renewal",
    "SignUpResult",
    "StatusStep",
    "TrainedShare",
    "User",
    "VenueFlags",
    "VenueView",
    "add_accreditation",
    "add_evidence",
    "add_evidence_form",
    "add_spot_check",
    "add_training",
    "add_year",
    "change_status",
    "check_move",
    "check_ward",
    "clear_public_cache",
    "angela_poster_venues",
    "directory",
    "evidence_file",
    "flags_by_venue",
    "licence_key",
    "london_today",
    "long_date",
    "my_held_sign_ups",
    "my_venues",
    "name_key",
    "needs_attention",
    "normalise_phone",
    "officer_actions_from",
    "officer_change_status",
    "officer_queue",
    "officer_status_form",
    "open_actions",
    "open_duplicates",
    "optional_id",
    "public_geojson",
    "public_venue",
    "recent_events",
    "register",
    "register_csv",
    "register_geojson",
    "reminder_days",
    "renew_by_manager",
    "renewal",
    "resolve_duplicate",
    "resubmit",
    "resubmit_form",
    "sign_charter",
    "sniff",
    "status_history",
    "touch",
    "trained_shares",
    "update_details",
    "update_pledges",
    "update_staff_count",
    "upload_root",
    "venue_for",
    "view",
    "ward_names",
    "wards_by_name",
]
