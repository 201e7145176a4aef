"""Owners' proposed changes: an owner (the space's own account, or the manager of its venue)
proposes, an officer approves (applied, still valid today?) or rejects with a reason, and the
owner is told."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.config import Settings
from nte.london import london_today
from nte.notifications import service as mail
from nte.safespaces import messages
from nte.safespaces import repository as repo
from nte.safespaces.exceptions import (
    InvalidSafeSpace,
    InvalidSearch,
    NotOwner,
    ProposalDecided,
    ProposalNotFound,
)
from nte.safespaces.models import PROPOSAL_STATUSES, SafeSpace, SafeSpaceProposal
from nte.safespaces.service.fields import IDENTITY, OWNER_FIELDS, clean_fields
from nte.safespaces.service.registry import (
    SpaceRecord,
    apply_values,
    display_name,
    get_space,
    record_event,
    space_record,
    venue_of,
)
from nte.venues.models import Venue

OFFICER_ROLES = ("officer", "admin")
"""Who may see and propose changes to any space."""


def is_owner(session: Session, *, user: User, space: SafeSpace) -> bool:
    if space.owner_user_id == user.id:
        return True
    return space.venue_id is not None and repo.venue_manager_id(session, space.venue_id) == user.id


def spaces_owned_by(session: Session, *, user: User) -> list[tuple[SafeSpace, Venue | None]]:
    return repo.list_spaces(session, owner_user_id=user.id, manager_user_id=user.id)


def owned_record(session: Session, *, user: User, space_id: int, now: datetime) -> SpaceRecord:
    """The owner's page of one space: refused (NotOwner) unless ``user`` owns it or is an officer."""
    space = get_space(session, space_id=space_id)
    if user.role not in OFFICER_ROLES and not is_owner(session, user=user, space=space):
        raise NotOwner()
    return space_record(session, space_id=space_id, now=now)


def _check_proposal(
    session: Session, space: SafeSpace, user: User, data: Mapping[str, Any], message: str | None
) -> None:
    if user.role not in OFFICER_ROLES and not is_owner(session, user=user, space=space):
        raise NotOwner()
    unknown = sorted(set(data) - OWNER_FIELDS - {"opening_hours", "overrides"})
    if unknown:
        raise InvalidSafeSpace({unknown[0]: f"Owners cannot change {', '.join(unknown)}; ask an officer."})
    if space.venue_id is not None:
        given = [k for k in IDENTITY if k in data]
        if given:
            raise InvalidSafeSpace({given[0]: "The name and address come from your venue's record; change them there."})
    if message is not None and len(message.strip()) > 500:
        raise InvalidSafeSpace({"message": "Keep the message under 500 characters."})


def propose_change(
    session: Session,
    *,
    space_id: int,
    user: User,
    data: Mapping[str, Any],
    confirms_hours: bool,
    message: str | None,
    settings: Settings,
    now: datetime,
) -> SafeSpaceProposal:
    space = get_space(session, space_id=space_id)
    _check_proposal(session, space, user, data, message)
    values = clean_fields(session, data, settings=settings, space=space)
    changes = {k: v for k, v in values.items() if getattr(space, k) != v}
    if not changes and not confirms_hours:
        raise InvalidSafeSpace(
            {"changes": "Nothing would change: edit a field, or confirm that the hours are still right."}
        )
    if confirms_hours and space.hours is None and "hours" not in changes:
        raise InvalidSafeSpace({"opening_hours": "There are no opening hours to confirm yet: enter them."})
    proposal = SafeSpaceProposal(
        safe_space_id=space.id,
        proposed_by_user_id=user.id,
        changes=changes,
        confirms_hours=confirms_hours,
        message=(message or "").strip() or None,
        status="pending",
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    record_event(
        session,
        "safespace.propose",
        space_id=space.id,
        actor=user,
        now=now,
        detail={"proposal_id": proposal.id, "fields": sorted(changes), "confirms_hours": confirms_hours},
    )
    return proposal


def get_proposal(session: Session, *, proposal_id: int) -> SafeSpaceProposal:
    proposal = repo.get_proposal(session, proposal_id)
    if proposal is None:
        raise ProposalNotFound(proposal_id)
    return proposal


def list_proposals(session: Session, *, status: str | None = "pending") -> list[SafeSpaceProposal]:
    if status is not None and status not in PROPOSAL_STATUSES:
        raise InvalidSearch("Status must be pending, approved or rejected.", field="status")
    return repo.list_proposals(session, status=status)


def pending_proposals(session: Session) -> list[tuple[SafeSpaceProposal, SafeSpace, str]]:
    """The officers' queue: each pending proposal with its space and the space's name."""
    rows = []
    for proposal in list_proposals(session, status="pending"):
        space = get_space(session, space_id=proposal.safe_space_id)
        rows.append((proposal, space, display_name(space, venue_of(session, space))))
    return rows


def _check_note(note: str, *, approve: bool) -> str:
    note = (note or "").strip()
    if len(note) > 500:
        raise InvalidSafeSpace({"note": "Keep the note under 500 characters."})
    if not approve and not note:
        raise InvalidSafeSpace({"note": "Say why the change is rejected (the owner is told)."})
    return note


def decide_proposal(
    session: Session,
    *,
    proposal_id: int,
    approve: bool,
    actor: User,
    settings: Settings,
    now: datetime,
    note: str = "",
) -> SafeSpaceProposal:
    note = _check_note(note, approve=approve)
    proposal = get_proposal(session, proposal_id=proposal_id)
    if proposal.status != "pending":
        raise ProposalDecided(proposal.status)
    space = get_space(session, space_id=proposal.safe_space_id)
    changed: list[str] = []
    if approve:
        data = dict(proposal.changes)
        values = clean_fields(session, data, settings=settings, space=space)  # still valid today?
        changed = apply_values(space, values, now=now)
        if (proposal.confirms_hours or "hours" in values) and space.hours is not None:
            space.hours_confirmed_date = london_today(now)
            changed.append("hours_confirmed_date")
    proposal.status = "approved" if approve else "rejected"
    proposal.decided_at, proposal.decided_by_user_id, proposal.decision_note = now, actor.id, note or None
    session.flush()
    record_event(
        session,
        f"safespace.proposal.{proposal.status}",
        space_id=space.id,
        actor=actor,
        now=now,
        detail={"proposal_id": proposal.id, "changed": changed},
    )
    _tell_proposer(session, proposal, space, note=note, settings=settings, now=now)
    return proposal


def _tell_proposer(
    session: Session, proposal: SafeSpaceProposal, space: SafeSpace, *, note: str, settings: Settings, now: datetime
) -> None:
    proposer = repo.users_by_ids(session, [proposal.proposed_by_user_id] if proposal.proposed_by_user_id else [])
    if not proposer:
        return
    name = display_name(space, venue_of(session, space))
    body = (
        messages.PROPOSAL_DECIDED_BODY % {"name": name, "status": proposal.status}
        + (messages.PROPOSAL_DECIDED_NOTE % {"note": note} if note else "")
        + messages.PROPOSAL_DECIDED_LINK % {"base_url": settings.base_url}
    )
    mail.enqueue(
        session,
        to=proposer[0].email,
        subject=messages.PROPOSAL_DECIDED_SUBJECT % {"status": proposal.status, "name": name},
        body=body,
        dedupe_key=f"safespaces.proposal.{proposal.id}.{proposal.status}",
        now=now,
    )
