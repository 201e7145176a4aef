"""The filter behind every ward statistic and hotspot map, parsed from query parameters.

Pure: no database. Dates are London calendar dates (``date_to`` inclusive) and become UTC
instants at London midnight; hours and days of the week are London wall-clock time. An hour band
``18-06`` crosses midnight (18:00 to 05:59). Spam is never counted, whatever is asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from nte.london import london_moment, london_today
from nte.maps.exceptions import InvalidMapFilter, InvalidMapFilters
from nte.reports.models import REPORT_SOURCES
from nte.reports.vocabulary import CATEGORIES

#: Statuses an officer may count. Spam is not one of them, ever.
COUNTABLE_STATUSES = ("new", "accepted", "duplicate")
#: Default: moderated and not yet moderated reports (so recent weeks are not missing while the
#: moderation queue is worked through); duplicates would count one incident twice.
DEFAULT_STATUSES = ("accepted", "new")
MAX_RANGE_DAYS = 366 * 5
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HOUR_BAND = re.compile(r"^\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*$")
_CATEGORY = re.compile(r"^[a-z0-9_\-]{1,40}$")
#: Where reports come from, in an officer's words (the data coverage line).
SOURCE_WORDS = {"police": "police.uk", "public": "reports made here", "import": "imported from partners"}
#: Each ``report.source`` as the filter names it: which of the two sources it belongs to.
SOURCE_CHOICE_WORDS = {
    "public": "Public reports made here",
    "import": "Public reports from partner forms",
    "police": "Police-recorded crime (police.uk)",
}
#: The two sources figures are kept apart by: public reports (people reporting to NTE Safe, here or on the
#: council's partner forms, imported) and police-recorded crime (the police.uk import). Key -> the
#: ``report.source`` values it counts.
SOURCE_GROUPS: dict[str, tuple[str, ...]] = {"public": ("public", "import"), "police": ("police",)}
SOURCE_GROUP_WORDS = {"public": "public reports", "police": "police-recorded crime"}
#: The attribution police.uk's licence asks for, wherever police records are shown.
POLICE_ATTRIBUTION = (
    "Police-recorded crime: data.police.uk street-level crime. Contains public sector information licensed "
    "under the Open Government Licence v3.0."
)
#: The query parameters of the filter (``MapFilter.to_params`` writes only these).
FILTER_PARAMS = ("from", "to", "category", "day", "hours", "source", "status", "borough", "vintage")
#: Every page takes the language it is shown in.
PAGE_PARAMS = ("lang",)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant of 00:00 London time on ``day``."""
    return london_moment(day, time(0))


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class HourBand:
    """London wall-clock hours ``start`` (inclusive) to ``end`` (exclusive); start > end crosses midnight."""

    start: int
    end: int

    def hours(self) -> list[int]:
        if self.start < self.end:
            return list(range(self.start, self.end))
        return list(range(self.start, 24)) + list(range(0, self.end))

    def label(self) -> str:
        return f"{self.start:02d}:00-{self.end:02d}:00"


@dataclass(frozen=True)
class MapFilter:
    date_from: date
    date_to: date  # inclusive
    categories: tuple[str, ...] = ()
    days: tuple[int, ...] = ()  # ISO weekdays 1..7
    hour_bands: tuple[HourBand, ...] = ()
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    borough: str | None = None
    #: London hours of the week (Monday 00:00-00:59 = 0 ... Sunday 23:00 = 167), e.g. a patrol series' shifts.
    week_hours: tuple[int, ...] = ()
    #: Ward boundary vintage the figures are in ("2013-12"); None: each borough's current boundaries.
    vintage: str | None = None

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.date_from)

    @property
    def end_utc(self) -> datetime:
        return local_midnight_utc(self.date_to + timedelta(days=1))

    @property
    def n_days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def uses_time_of_day(self) -> bool:
        return bool(self.days or self.hour_bands or self.week_hours)

    def previous(self) -> MapFilter:
        """The same filter over the equal period just before this one."""
        length = timedelta(days=self.n_days)
        return MapFilter(
            self.date_from - length,
            self.date_from - timedelta(days=1),
            self.categories,
            self.days,
            self.hour_bands,
            self.sources,
            self.statuses,
            self.borough,
            self.week_hours,
            self.vintage,
        )

    def without_time_of_day(self) -> MapFilter:
        """The same filter on every day and at every hour (no day, hour band or hours of the week)."""
        return dataclasses.replace(self, days=(), hour_bands=(), week_hours=())

    def hours(self) -> list[int]:
        return sorted({h for band in self.hour_bands for h in band.hours()})

    def source_groups(self) -> list[str]:
        """Which of the two sources (``SOURCE_GROUPS``) the filter counts: both when none is chosen."""
        return [g for g, members in SOURCE_GROUPS.items() if not self.sources or set(members) & set(self.sources)]

    def source_words(self) -> str:
        """What the figures count, e.g. "public reports and police-recorded crime"."""
        return " and ".join(SOURCE_GROUP_WORDS[g] for g in self.source_groups())

    @property
    def includes_police(self) -> bool:
        return "police" in self.source_groups()

    def month_starts_utc(self) -> list[datetime]:
        """The UTC instant each London calendar month of the range starts (the first clipped to the range)."""
        out, month = [self.start_utc], add_months(date(self.date_from.year, self.date_from.month, 1), 1)
        while month <= self.date_to:
            out.append(local_midnight_utc(month))
            month = add_months(month, 1)
        return out

    def months(self) -> list[str]:
        out, month = [], date(self.date_from.year, self.date_from.month, 1)
        while month <= self.date_to:
            out.append(f"{month:%Y-%m}")
            month = add_months(month, 1)
        return out

    def to_params(self) -> dict[str, str]:
        """Query parameters that parse back to this filter."""
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.categories:
            params["category"] = ",".join(self.categories)
        if self.days:
            params["day"] = ",".join(str(d) for d in self.days)
        if self.hour_bands:
            params["hours"] = ",".join(f"{b.start:02d}-{b.end:02d}" for b in self.hour_bands)
        if self.sources:
            params["source"] = ",".join(self.sources)
        if self.statuses != DEFAULT_STATUSES:
            params["status"] = ",".join(self.statuses)
        if self.borough:
            params["borough"] = self.borough
        if self.week_hours:
            params["week_hours"] = ",".join(str(h) for h in self.week_hours)
        if self.vintage:
            params["vintage"] = self.vintage
        return params

    def cache_key(self, *extra: object) -> str:
        raw = json.dumps([self.to_params(), [str(e) for e in extra]], sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()

    def describe(self) -> str:
        parts = [f"{self.date_from:%d %b %Y} to {self.date_to:%d %b %Y}"]
        if self.categories:
            parts.append("categories " + ", ".join(self.categories))
        if self.days:
            parts.append(", ".join(DAY_NAMES[d - 1] for d in self.days))
        if self.hour_bands:
            parts.append("hours " + ", ".join(b.label() for b in self.hour_bands))
        if self.sources:
            parts.append("source " + ", ".join(self.sources))
        if self.week_hours:
            parts.append(f"{len(self.week_hours)} patrol hours of the week")
        parts.append("status " + ", ".join(self.statuses))
        if self.vintage:
            parts.append(f"wards of {self.vintage}")
        return "; ".join(parts)


def _split(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items: Iterable[str] = [value] if isinstance(value, str) else value
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


#: What each field is called in an error message an officer reads.
FIELD_WORDS = {"from": "start date", "to": "end date"}


def unknown_parameters(sent: Iterable[str], allowed: Collection[str]) -> dict[str, str]:
    """An error for every query parameter sent that the map does not take (a misspelt ``categroy``
    would otherwise be ignored and the figures silently unfiltered), by its name."""
    errors: dict[str, str] = {}
    for name in sent:
        if name not in allowed:
            shown_name = name[:40]
            errors[shown_name] = (
                f"This map has no filter called {shown_name!r}: use only "
                + ", ".join(sorted(allowed, key=lambda n: (n not in FILTER_PARAMS, n)))
                + "."
            )
    return errors


def refuse_unknown(sent: Iterable[str], allowed: Collection[str]) -> None:
    """``InvalidMapFilters`` naming every parameter the map does not take."""
    errors = unknown_parameters(sent, allowed)
    if errors:
        raise InvalidMapFilters(errors)


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        words = FIELD_WORDS.get(name, name)
        raise InvalidMapFilter(
            f"The {words} is not a date: choose it in the calendar, or type it like 2026-01-31.", field=name
        ) from None


def known_category_codes() -> frozenset[str]:
    """The categories a map can be filtered by: the reporting vocabulary's."""
    return frozenset(CATEGORIES)


def default_range(now: datetime) -> tuple[date, date]:
    """The last twelve full London calendar months."""
    first_this_month = london_today(now).replace(day=1)
    return add_months(first_this_month, -12), first_this_month - timedelta(days=1)


def parse_hour_band(text: str, name: str = "hours") -> HourBand:
    match = _HOUR_BAND.match(text)
    if not match:
        raise InvalidMapFilter(
            "Write the hours as an hour band like 18-06 (6 pm to 6 am, London time), or 18:00-06:00.", field=name
        )
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start <= 23 and 0 <= end <= 24) or start == end % 24:
        raise InvalidMapFilter(
            "The hour band must start and end at different hours, each from 0 to 23 (for example 18-06).", field=name
        )
    return HourBand(start, end % 24)


def _parse_period(
    now: datetime, date_from: str | None, date_to: str | None, errors: dict[str, str]
) -> tuple[date, date]:
    """The period asked for (default: the last twelve full months; with only a start, up to today)."""

    def attempt(name: str, value: str | None) -> date | None:
        try:
            return _parse_date(value, name)
        except InvalidMapFilter as exc:
            errors.setdefault(exc.field or name, exc.detail)
            return None

    default_from, default_to = default_range(now)
    start = attempt("from", date_from) or default_from
    end = attempt("to", date_to) or (default_to if date_from is None else london_today(now))
    if not errors and end < start:
        errors["to"] = "The end date is before the start date: choose an end date on or after the start date."
    if not errors and (end - start).days + 1 > MAX_RANGE_DAYS:
        errors["from"] = f"Choose a period of at most five years ({MAX_RANGE_DAYS} days)."
    return start, end


def _parse_categories(
    category: str | Sequence[str] | None, known: Collection[str] | None, errors: dict[str, str]
) -> list[str]:
    categories = sorted(set(_split(category)))
    for cat in categories:
        if not _CATEGORY.match(cat) or (known is not None and cat not in known):
            errors["category"] = f"There is no category called {cat[:40]!r}: tick the categories you want in the list."
    return categories


def _parse_days(day: str | Sequence[str] | None, errors: dict[str, str]) -> tuple[int, ...]:
    days: set[int] = set()
    for item in _split(day):
        if item[:3].title() in DAY_NAMES:
            days.add(DAY_NAMES.index(item[:3].title()) + 1)
        elif item.isdigit() and 1 <= int(item) <= 7:
            days.add(int(item))
        else:
            errors["day"] = "Tick days of the week in the list (Monday to Sunday)."
    return tuple(sorted(days))


def _parse_hour_bands(hours: str | Sequence[str] | None, errors: dict[str, str]) -> tuple[HourBand, ...]:
    parsed: set[HourBand] = set()
    for item in _split(hours):
        try:
            parsed.add(parse_hour_band(item))
        except InvalidMapFilter as exc:
            errors.setdefault("hours", exc.detail)
    return tuple(sorted(parsed, key=lambda b: (b.start, b.end)))


def _parse_sources(source: str | Sequence[str] | None, errors: dict[str, str]) -> list[str]:
    sources = sorted(set(_split(source)))
    if any(src not in REPORT_SOURCES for src in sources):
        errors["source"] = (
            "Tick where the reports come from in the list: " + ", ".join(SOURCE_WORDS[s] for s in REPORT_SOURCES) + "."
        )
    return sources


def _parse_statuses(status: str | Sequence[str] | None, errors: dict[str, str]) -> tuple[str, ...]:
    statuses = tuple(sorted(set(_split(status)))) or DEFAULT_STATUSES
    if any(st not in COUNTABLE_STATUSES for st in statuses):
        errors["status"] = "Tick new, accepted or duplicate reports; reports marked as spam are never counted."
    return statuses


def _parse_borough(borough: str | None, boroughs: Sequence[str], errors: dict[str, str]) -> str | None:
    chosen = (borough or "").strip() or None
    if chosen is not None and chosen not in boroughs:
        errors["borough"] = "That borough is not one this service covers: choose one from the list."
    return chosen


def _parse_vintage(vintage: str | None, vintages: Collection[str] | None, errors: dict[str, str]) -> str | None:
    chosen = (vintage or "").strip() or None
    if chosen is not None and chosen.lower() == "current":
        chosen = None
    if chosen is not None and vintages is not None and chosen not in vintages:
        errors["vintage"] = (
            "There are no ward boundaries of that vintage: choose one from the list ("
            + ", ".join(sorted(vintages))
            + ")."
        )
    return chosen


def parse_filter(
    *,
    now: datetime,
    date_from: str | None = None,
    date_to: str | None = None,
    category: str | Sequence[str] | None = None,
    day: str | Sequence[str] | None = None,
    hours: str | Sequence[str] | None = None,
    source: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    borough: str | None = None,
    boroughs: Sequence[str] = (),
    known_categories: Collection[str] | None = None,
    vintage: str | None = None,
    vintages: Collection[str] | None = None,
    sent: Iterable[str] | None = None,
    also_allowed: Collection[str] = (),
) -> MapFilter:
    """The filter the values ask for, or ``InvalidMapFilters`` naming every field that is wrong
    (a category outside ``known_categories``, e.g. ``known_category_codes()``, is one of them; with
    ``sent``, the names of the query parameters sent, so is any name that is neither a filter
    parameter nor one of ``also_allowed``)."""
    errors: dict[str, str] = {}
    start, end = _parse_period(now, date_from, date_to, errors)
    categories = _parse_categories(category, known_categories, errors)
    days = _parse_days(day, errors)
    bands = _parse_hour_bands(hours, errors)
    sources = _parse_sources(source, errors)
    statuses = _parse_statuses(status, errors)
    chosen_borough = _parse_borough(borough, boroughs, errors)
    chosen = _parse_vintage(vintage, vintages, errors)
    if sent is not None:
        for name, detail in unknown_parameters(sent, (*FILTER_PARAMS, *also_allowed)).items():
            errors.setdefault(name, detail)
    if errors:
        raise InvalidMapFilters(errors)
    return MapFilter(
        start,
        end,
        tuple(categories),
        days,
        bands,
        tuple(sources),
        tuple(sorted(statuses)),
        chosen_borough,
        vintage=chosen[:20] if chosen else None,
    )
