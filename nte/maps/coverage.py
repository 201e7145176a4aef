"""Which months the data covers, per source, and the period a map opens on when none is chosen.

The demo's police.uk records are from 2016 while the reports made here are from the last weeks:
a map that opened on "the last twelve months" showed a handful of reports and never said why.
With no dates in the address, the officer's pages open on the latest twelve months that have data
(for the chosen sources, or all of them) and say what each source covers."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import london_today
from nte.maps import repository as repo
from nte.maps.filters import SOURCE_WORDS, MapFilter, add_months

#: The most months a default period spans (the same as the old default, a year).
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class MonthRun:
    """Consecutive calendar months that all have data: from the 1st of ``first`` to the end of ``last``."""

    first: date  # the 1st of the first month
    last: date  # the last day of the last month

    @property
    def text(self) -> str:
        """ "Jan 2016 - Dec 2017", "Oct - Nov 2026" or "Nov 2026"."""
        if (self.first.year, self.first.month) == (self.last.year, self.last.month):
            return f"{self.last:%b %Y}"
        if self.first.year == self.last.year:
            return f"{self.first:%b} - {self.last:%b %Y}"
        return f"{self.first:%b %Y} - {self.last:%b %Y}"

    def period(self) -> tuple[date, date]:
        """The run's latest twelve months (the most a default period spans)."""
        return max(self.first, add_months(self.last.replace(day=1), 1 - DEFAULT_MONTHS)), self.last


@dataclass(frozen=True)
class SourceCoverage:
    source: str
    first: date  # London date of the oldest counted report
    last: date  # London date of the newest
    count: int
    #: The months with data, as runs without gaps: police.uk for 2016 and one City of London month
    #: in 2020 is "Jan - Dec 2016, Jan 2020", not "Jan 2016 - Jan 2020" (three empty years).
    runs: tuple[MonthRun, ...] = ()

    @property
    def name(self) -> str:
        return SOURCE_WORDS.get(self.source, self.source)

    @property
    def months(self) -> str:
        if self.runs:
            return ", ".join(run.text for run in self.runs)
        return MonthRun(self.first.replace(day=1), self.last).text

    @property
    def text(self) -> str:
        return f"{self.months} ({self.name})"

    def period(self, *, now: datetime) -> tuple[date, date]:
        """The latest twelve months of this source alone."""
        return latest_period([self], sources=(), now=now) or (self.first, self.last)


def month_runs(months: Sequence[tuple[int, int]]) -> tuple[MonthRun, ...]:
    """Sorted (year, month) pairs as runs of consecutive months."""
    runs: list[MonthRun] = []
    for year, month in sorted(set(months)):
        start = date(year, month, 1)
        end = add_months(start, 1) - timedelta(days=1)
        if runs and add_months(runs[-1].last.replace(day=1), 1) == start:
            runs[-1] = MonthRun(runs[-1].first, end)
        else:
            runs.append(MonthRun(start, end))
    return tuple(runs)

    def period(self, *, now: datetime) -> tuple[date, date]:
        """The latest twelve months of this source alone."""
        return latest_period([self], sources=(), now=now) or (self.first, self.last)


def coverage(
    session: Session, *, settings: Settings, statuses: Sequence[str], borough: str | None = None
) -> list[SourceCoverage]:
    """What each source covers among the counted reports of the served boroughs (or one borough)."""
    boroughs = [borough] if borough else list(settings.boroughs)
    months: dict[str, list[tuple[int, int]]] = {}
    for source, year, month, _n in repo.months_by_source(session, statuses=statuses, borough_codes=boroughs):
        months.setdefault(source, []).append((year, month))
    return [
        SourceCoverage(source, london_today(first), london_today(last), n, month_runs(months.get(source, ())))
        for source, first, last, n in repo.coverage_by_source(session, statuses=statuses, borough_codes=boroughs)
    ]


def latest_period(
    covered: Sequence[SourceCoverage], *, sources: Sequence[str], now: datetime
) -> tuple[date, date] | None:
    """Up to twelve calendar months ending with the newest month that has data among ``sources``
    (all when empty), starting no earlier than that data's first month and ending no later than
    today; None when there is no data at all."""
    chosen = [c for c in covered if not sources or c.source in sources]
    if not chosen:
        return None
    last_month = max(c.last for c in chosen).replace(day=1)
    first_month = min(c.first for c in chosen).replace(day=1)
    start = max(add_months(last_month, 1 - DEFAULT_MONTHS), first_month)
    end = min(add_months(last_month, 1) - timedelta(days=1), london_today(now))
    return start, max(end, start)


def latest_month(covered: Sequence[SourceCoverage], *, sources: Sequence[str] = ()) -> date | None:
    """The first day of the newest month with data, for the monthly report."""
    chosen = [c for c in covered if not sources or c.source in sources]
    return max(c.last for c in chosen).replace(day=1) if chosen else None


def with_default_period(
    session: Session, flt: MapFilter, *, settings: Settings, now: datetime
) -> tuple[MapFilter, list[SourceCoverage]]:
    """``flt`` moved to the latest period with data (for when no dates were chosen), and the coverage."""
    covered = coverage(session, settings=settings, statuses=flt.statuses, borough=flt.borough)
    period = latest_period(covered, sources=flt.sources, now=now)
    if period is None:
        return flt, covered
    return dataclasses.replace(flt, date_from=period[0], date_to=period[1]), covered
