"""What a series generates: its rules in force (the current one and those kept by a change from a
date), the night a rule makes on a date, and looking up series and shifts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    PatrolNotFound,
)
from nte.patrols.models import (
    PatrolArea,
    SeriesNight,
    SeriesRule,
    Shift,
    ShiftSeries,
)
from nte.patrols.recurrence import (
    NightChange,
    Occurrence,
    ShiftSeriesSpec,
    occurrence_on,
)


def _night_entries(
    nights: Iterable[SeriesNight], *, first: date | None = None, before: date | None = None
) -> tuple[frozenset[date], dict[date, NightChange]]:
    """The exceptions and per-night changes among ``nights`` (keyed by the generated local date),
    limited to ``first <= date < before`` when given: each rule of a series sees only its own nights."""
    chosen = [
        n
        for n in nights
        if (first is None or n.occurrence_date >= first) and (before is None or n.occurrence_date < before)
    ]
    return (
        frozenset(n.occurrence_date for n in chosen if n.cancelled),
        {
            n.occurrence_date: NightChange(start_time=n.start_time, end_time=n.end_time, moved_to=n.moved_to)
            for n in chosen
            if n.start_time is not None or n.end_time is not None or n.moved_to is not None
        },
    )


def _spec(
    source: ShiftSeries | SeriesRule, *, tz: str, nights: Iterable[SeriesNight], before: date | None = None
) -> ShiftSeriesSpec:
    """The rule of ``source`` (a series or one of its earlier rules) with the exceptions and changes
    of the nights it governs, from its start date to ``before``."""
    exceptions, changes = _night_entries(nights, first=source.start_date, before=before)
    return ShiftSeriesSpec(
        rrule=source.rrule,
        start_date=source.start_date,
        start_time=source.start_time,
        end_time=source.end_time,
        tz=tz,
        exceptions=exceptions,
        changes=changes,
    )


def spec_for(session: Session, series: ShiftSeries, nights: Iterable[SeriesNight] | None = None) -> ShiftSeriesSpec:
    """The series' current rule (the one in force from ``series.start_date``) with its nights' exceptions
    and changes. Earlier rules of a series changed from a date are in :func:`series_rules`."""
    return _spec(series, tz=series.tz, nights=repo.nights_for(session, series.id) if nights is None else nights)


@dataclass(frozen=True)
class SeriesRuleInForce:
    """One rule of a series and the nights it governs: those from ``from_date`` on (up to its UNTIL,
    which is before the next rule's ``from_date``), with the staffing and place those nights get."""

    from_date: date
    spec: ShiftSeriesSpec
    area_id: int
    min_volunteers: int
    max_volunteers: int
    min_team_leads: int
    meeting_point: str | None


def _in_force(source: ShiftSeries | SeriesRule, spec: ShiftSeriesSpec) -> SeriesRuleInForce:
    return SeriesRuleInForce(
        source.start_date,
        spec,
        source.area_id,
        source.min_volunteers,
        source.max_volunteers,
        source.min_team_leads,
        source.meeting_point,
    )


def series_rules(
    session: Session, series: ShiftSeries, nights: Iterable[SeriesNight] | None = None
) -> list[SeriesRuleInForce]:
    """Every rule of ``series``, oldest first: the earlier ones (kept by a change from a date) and the
    current one, each with the exceptions and per-night changes of the nights it governs."""
    nights = list(repo.nights_for(session, series.id) if nights is None else nights)
    earlier = repo.earlier_rules(session, series.id)
    starts = [r.start_date for r in earlier] + [series.start_date]
    rules = [
        _in_force(row, _spec(row, tz=series.tz, nights=nights, before=starts[index + 1]))
        for index, row in enumerate(earlier)
    ]
    rules.append(_in_force(series, spec_for(session, series, nights)))
    return rules


def governing_rule(rules: list[SeriesRuleInForce], day: date) -> SeriesRuleInForce | None:
    found = None
    for rule in rules:
        if rule.from_date <= day:
            found = rule
    return found


def night_of(rules: list[SeriesRuleInForce], day: date) -> tuple[Occurrence, SeriesRuleInForce] | None:
    """The night the series generates on local date ``day`` and the rule that makes it, or None when
    no rule of the series generates that date. Asked about one night: no window is involved."""
    rule = governing_rule(rules, day)
    if rule is None:
        return None
    occurrence = occurrence_on(rule.spec, day)
    return None if occurrence is None else (occurrence, rule)


def get_series(session: Session, series_id: int, *, field: str = "series_id") -> ShiftSeries:
    series = repo.get_series(session, series_id)
    if series is None:
        raise PatrolNotFound("shift series", field=field)
    return series


def earlier_rules(session: Session, series: ShiftSeries) -> list[SeriesRule]:
    """The rules ``series`` followed before its current one (kept by changes from a date), oldest first."""
    return repo.earlier_rules(session, series.id)


def location_text(area: PatrolArea, meeting_point: str | None) -> str:
    return f"{area.name} (meet: {meeting_point})" if meeting_point else area.name


def get_shift(session: Session, shift_id: int, *, field: str = "shift_id", lock: bool = False) -> Shift:
    shift = repo.get_shift(session, shift_id, lock=lock)
    if shift is None:
        raise PatrolNotFound("shift", field=field)
    return shift
