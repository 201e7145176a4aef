"""The printable monthly ward report: which period it covers (one month, the map's period, or the
latest month with data), its figures by borough, and the twelve months' trend leading up to it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import london_today
from nte.maps import coverage as coverage_service
from nte.maps import statistics as stats_service
from nte.maps.exceptions import InvalidMapFilter
from nte.maps.filters import MapFilter, add_months


def _month_of(first: date) -> tuple[date, date]:
    return first, add_months(first, 1) - timedelta(days=1)


def report_period(
    flt: MapFilter,
    *,
    month: str | None,
    dates_chosen: bool,
    covered: Sequence[coverage_service.SourceCoverage],
    now: datetime,
) -> MapFilter:
    """The filter the report covers: the calendar ``month`` ("2026-10") when one is asked for, else
    the filter's own dates when they were chosen, else the latest month with data among the
    filter's sources (the last full month when there is none)."""
    if month:
        try:
            first = date(int(month[:4]), int(month[5:7]), 1)
        except ValueError:
            raise InvalidMapFilter("Choose a month like 2026-10 (year, then month 01 to 12).", field="month") from None
    elif not dates_chosen:
        first = coverage_service.latest_month(covered, sources=flt.sources) or add_months(
            london_today(now).replace(day=1), -1
        )
    else:
        return flt
    start, end = _month_of(first)
    return dataclasses.replace(flt, date_from=start, date_to=end)


@dataclass(frozen=True)
class MonthlyReport:
    stats: stats_service.WardStatistics
    #: The twelve months up to the report's last month (or its whole period, if longer).
    yearly: stats_service.WardStatistics
    #: Reports per month of ``yearly``, every ward together.
    monthly_totals: list[int]
    #: The wards of each borough (by borough name), by rank.
    boroughs: dict[str, list[stats_service.WardRow]]

    @property
    def flt(self) -> MapFilter:
        return self.stats.filter

    @property
    def one_month(self) -> bool:
        """Whether the report covers exactly one calendar month."""
        return self.flt.date_from.day == 1 and self.flt.date_to == _month_of(self.flt.date_from)[1]

    @property
    def period(self) -> str:
        flt = self.flt
        return f"{flt.date_from:%B %Y}" if self.one_month else f"{flt.date_from:%-d %b %Y} to {flt.date_to:%-d %b %Y}"


def monthly_report(session: Session, *, flt: MapFilter, settings: Settings) -> MonthlyReport:
    """The report's figures for ``flt`` (see ``report_period``) and the year's trend leading up to it."""
    stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
    last_month = flt.date_to.replace(day=1)
    year = dataclasses.replace(flt, date_from=min(flt.date_from, add_months(last_month, -11)))
    yearly = stats_service.ward_statistics(session, flt=year, settings=settings)
    totals = [sum(r.trend[i] for r in yearly.rows) for i in range(len(yearly.months))]
    boroughs: dict[str, list[stats_service.WardRow]] = {}
    for r in sorted(stats.rows, key=lambda r: (r.borough_name, r.rank, r.name)):
        boroughs.setdefault(r.borough_name, []).append(r)
    return MonthlyReport(stats, yearly, totals, boroughs)
