from nte.errors import Invalid, NotFound
from nte.i18n import N_


class LocationOutsideServiceArea(Invalid):
    code = "outside_service_area"

    def __init__(self, field: str = "location") -> None:
        super().__init__(N_("This place is outside the area this council covers."), field=field)


class InvalidCoordinates(Invalid):
    code = "invalid_coordinates"


class UnknownWard(NotFound):
    code = "unknown_ward"

    def __init__(self, code: str, field: str = "code") -> None:
        super().__init__(f"There is no ward with code {code[:40]!r} in the current boundary set.", field=field)


class NoWardSet(NotFound):
    code = "no_ward_set"

    def __init__(self) -> None:
        super().__init__("No ward boundaries are loaded yet (run: python main.py wards import ...).")


class InvalidWardFile(Invalid):
    code = "invalid_ward_file"


class InvalidMapFilter(Invalid):
    code = "invalid_filter"


class HotspotsUnavailable(Invalid):
    """Gi* cannot be computed for this selection (too few reports or cells, no variation)."""

    code = "hotspots_unavailable"


class UnknownPeriod(Invalid):
    code = "unknown_period"

    def __init__(self, field: str = "period") -> None:
        super().__init__("Choose one of the published periods in the list.", field=field)


class PatrolAreasUnavailable(NotFound):
    code = "patrol_areas_unavailable"

    def __init__(self) -> None:
        super().__init__("Patrol areas are not available yet.", field="area")


class UnknownPatrolArea(NotFound):
    code = "unknown_patrol_area"

    def __init__(self) -> None:
        super().__init__("There is no patrol area with that id.", field="area")


class InvalidMapFilters(InvalidMapFilter):
    """Every mistake in a map filter at once, by field (the first is the error's own field and detail)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, detail = next(iter(errors.items()))
        super().__init__(detail, field=field)
        self.errors = dict(errors)
