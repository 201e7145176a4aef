"""Safe-space outcomes, each an ``nte.errors`` class with a stable code and the field it concerns."""

from __future__ import annotations

from nte.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound


class InvalidSafeSpace(FieldErrors):
    """One or more fields are wrong: ``InvalidSafeSpace({field: message, ...})``. ``errors`` maps
    every wrong field to its message (forms show them all, the JSON body lists them in ``fields``),
    ``field``/``detail`` are the first."""

    code = "invalid_safe_space"


class InvalidOpeningHours(Invalid):
    code = "invalid_hours"


class InvalidSearch(Invalid):
    code = "invalid_search"


class InvalidImport(Invalid):
    code = "invalid_import"


class SafeSpaceNotFound(NotFound):
    code = "safe_space_not_found"

    def __init__(self, space_id: int, field: str | None = "id") -> None:
        super().__init__(f"There is no safe space with id {space_id}.", field=field)


class ProposalNotFound(NotFound):
    code = "proposal_not_found"

    def __init__(self, proposal_id: int) -> None:
        super().__init__(f"There is no proposed change with id {proposal_id}.", field="id")


class NotOwner(Forbidden):
    code = "not_owner"

    def __init__(self) -> None:
        super().__init__("Only the owner of this safe space (or an officer) can propose changes to it.")


class ProposalDecided(Conflict):
    code = "proposal_decided"

    def __init__(self, status: str) -> None:
        super().__init__(f"This proposed change was already {status}.", field="status")


class VenueAlreadyLinked(Conflict):
    code = "venue_already_safe_space"

    def __init__(self) -> None:
        super().__init__("This venue is already listed as a safe space.", field="venue_id")
