from nte.errors import FieldErrors, Invalid, NotFound


class InvalidMapFilter(Invalid):
    code = "invalid_filter"


class HotspotsUnavailable(Invalid):
    """Gi* cannot be computed for this selection (too few reports or cells, no variation)."""

    code = "hotspots_unavailable"


class UnknownPeriod(Invalid):
    code = "unknown_period"

    def __init__(self, field: str = "period") -> None:
        super().__init__("Choose one of the published periods in the list.", field=field)


class UnknownPublicSource(Invalid):
    code = "unknown_source"

    def __init__(self, field: str = "source") -> None:
        super().__init__("Choose public reports or police-recorded crime.", field=field)


class UnknownPatrolArea(NotFound):
    code = "unknown_patrol_area"

    def __init__(self) -> None:
        super().__init__("There is no patrol area with that id.", field="area")


class InvalidMapFilters(FieldErrors, InvalidMapFilter):
    """Every mistake in a map filter at once, by field (the first is the error's own field and detail;
    the JSON body lists them all in ``fields``). Still an ``InvalidMapFilter`` (code ``invalid_filter``)."""
