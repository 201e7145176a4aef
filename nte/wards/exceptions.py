from nte.errors import Conflict, Invalid, NotFound
from nte.i18n import N_


class LocationOutsideServiceArea(Invalid):
    code = "outside_service_area"

    def __init__(self, field: str = "location") -> None:
        super().__init__(N_("This place is outside the area this council covers."), field=field)


class InvalidCoordinates(Invalid):
    code = "invalid_coordinates"


class UnknownWard(NotFound):
    code = "unknown_ward"

    def __init__(self, code: str, field: str = "code", vintage: str | None = None) -> None:
        where = f"in the {vintage} boundaries" if vintage else "in the current boundary set"
        super().__init__(f"There is no ward with code {code[:40]!r} {where}.", field=field)


class UnknownVintage(Invalid):
    """A ``vintage=`` value that names no ward set: a wrong parameter (422, as the maps filters say it)."""

    code = "unknown_vintage"

    def __init__(self, vintage: str, known: list[str], field: str = "vintage") -> None:
        listed = ", ".join(known) or "none loaded"
        super().__init__(f"There are no ward boundaries of vintage {vintage[:40]!r} (known: {listed}).", field=field)


class NoWardSet(NotFound):
    code = "no_ward_set"

    def __init__(self) -> None:
        super().__init__("No ward boundaries are loaded yet (run: python main.py wards import ...).")


class BoroughWithoutWards(Invalid):
    """A served borough has no wards in the vintage asked for (or none current)."""

    code = "borough_without_wards"

    def __init__(self, borough: str, vintage: str | None = None, field: str = "borough") -> None:
        where = f"in vintage {vintage}" if vintage else "current"
        super().__init__(f"Borough {borough} has no wards {where}.", field=field)


class InvalidWardFile(Invalid):
    code = "invalid_ward_file"


class WardSetConflict(Conflict):
    code = "ward_set_conflict"
