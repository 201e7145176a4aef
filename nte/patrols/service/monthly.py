"""The monthly report for the council, and its CSV."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from nte.errors import Invalid
from nte.exports import csv_text, neutralise
from nte.london import london_moment, london_today
from nte.patrols import repository as repo
from nte.patrols.models import (
    GENDERS,
    SUPPORT_KINDS,
    Debrief,
    DebriefCount,
    PatrolArea,
    Shift,
)
from nte.patrols.service.clock import fmt_local
from nte.patrols.service.debriefs import PersonSupported, people_and_actions, person_of
from nte.patrols.service.reliability import Reliability, reliability
from nte.patrols.service.staffing import TEAM_MINIMUM
from nte.patrols.vocabulary import (
    AGE_BANDS,
    HANDOVERS,
)


@dataclass
class AreaMonth:
    name: str
    shifts_run: int = 0
    shifts_cancelled: int = 0
    # Staffing on the night (issue 18): run = at or above its minimum, by who checked in.
    shifts_below_minimum_confirmed: int = 0
    shifts_below_minimum_unconfirmed: int = 0
    shifts_stood_down: int = 0
    volunteer_hours: float = 0.0
    # People supported (each once) and actions (kinds of help given): see ``_people_supported``.
    people: int = 0
    women: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    people_estimated: int = 0
    handovers: Counter[str] = field(default_factory=Counter)

    @property
    def women_share(self) -> float | None:
        return self.women / self.people if self.people else None


@dataclass
class MonthlyReport:
    month: date
    shifts_run: int
    shifts_cancelled: int
    shifts_upcoming: int
    volunteer_hours: float
    people: int
    by_kind: dict[str, int]
    by_gender: dict[str, int]
    areas: list[AreaMonth]
    incidents: int
    debriefs_missing: int
    inactive_volunteers: list[str]
    # Staffing on the night and reliability (issue 18).
    staffing: MonthStaffing
    # People supported: ``people`` counts each person once, ``by_gender`` is people by gender and
    # ``by_kind`` is actions (kinds of help given) by kind; ``people_estimated`` of ``people`` come
    # from ``debriefs_estimated`` debriefs filed before people were recorded one by one.
    actions: int = 0
    people_estimated: int = 0
    debriefs_estimated: int = 0
    handovers: dict[str, int] = field(default_factory=dict)
    by_age_band: dict[str, int] = field(default_factory=dict)

    @property
    def women_share(self) -> float | None:
        """Women among the people supported (not among the actions)."""
        return self.by_gender.get("woman", 0) / self.people if self.people else None


@dataclass(frozen=True)
class StoodDownNight:
    start_at: datetime
    area_name: str
    reason: str


@dataclass
class MonthStaffing:
    """How the month's past shifts were staffed, by who checked in (and who was marked a no-show)."""

    #: Ran at or above their minimum volunteers and team leads.
    run: int = 0
    #: Ran below their minimum, with a coordinator's confirmation.
    below_minimum_confirmed: int = 0
    #: Took place below their minimum without a confirmation (e.g. nobody checked in).
    below_minimum_unconfirmed: int = 0
    stood_down: list[StoodDownNight] = field(default_factory=list)
    reliability: list[Reliability] = field(default_factory=list)


def _month_staffing(
    session: Session,
    *,
    shifts: list[Shift],
    areas: Mapping[int, PatrolArea],
    per_area: Mapping[int, AreaMonth],
    first: datetime,
    last: datetime,
    now: datetime,
) -> MonthStaffing:
    """Issue 18: a past shift counts as run only at or above its minimum, by who checked in (and was
    not marked a no-show); below it with a coordinator's confirmation, or without; stood-down nights
    are listed with why."""
    out = MonthStaffing()
    held = [s for s in shifts if s.status == "scheduled" and s.start_at <= now]
    checked: Counter[int] = Counter()
    leads: Counter[int] = Counter()
    for signup, volunteer in repo.signups_for_shifts(session, [s.id for s in held]):
        if signup.status == "confirmed" and signup.checked_in_at is not None and not signup.no_show:
            checked[signup.shift_id] += 1
            leads[signup.shift_id] += volunteer.is_team_lead
    for shift in held:
        item = per_area[shift.area_id]
        team = checked[shift.id]
        if team >= max(shift.min_volunteers, TEAM_MINIMUM) and leads[shift.id] >= shift.min_team_leads:
            out.run += 1
            item.shifts_run += 1
        elif team >= TEAM_MINIMUM and shift.below_minimum_confirmed_at is not None:
            out.below_minimum_confirmed += 1
            item.shifts_below_minimum_confirmed += 1
        else:
            out.below_minimum_unconfirmed += 1
            item.shifts_below_minimum_unconfirmed += 1
    for shift in shifts:
        if shift.stood_down_at is not None:
            per_area[shift.area_id].shifts_stood_down += 1
            out.stood_down.append(
                StoodDownNight(shift.start_at, areas[shift.area_id].name, shift.stand_down_reason or "")
            )
    out.stood_down.sort(key=lambda n: (n.start_at, n.area_name))
    out.reliability = reliability(session, start=first, end=min(last, now))
    return out


def parse_month(value: str | None, *, now: datetime, field: str = "month") -> date:
    if not value:
        today = london_today(now)
        return date(today.year, today.month, 1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise Invalid("Give the month as YYYY-MM, for example 2027-03.", field=field)
    return date(int(match.group(1)), int(match.group(2)), 1)


def monthly_report(session: Session, *, month: date, now: datetime) -> MonthlyReport:
    first = london_moment(month, time(0))
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    last = london_moment(nxt, time(0))
    shifts = [s for s in repo.shifts_between(session, first, last) if first <= s.start_at < last]
    areas = {a.id: a for a in repo.list_areas(session)}
    per_area: dict[int, AreaMonth] = {}
    run_ids: list[int] = []
    upcoming = 0
    for shift in shifts:
        item = per_area.setdefault(shift.area_id, AreaMonth(areas[shift.area_id].name))
        if shift.stood_down_at is not None:
            pass  # stood down: counted and listed by _month_staffing
        elif shift.status == "cancelled":
            item.shifts_cancelled += 1
        elif shift.start_at <= now:
            run_ids.append(shift.id)  # took place; _month_staffing decides whether it ran at its minimum
        else:
            upcoming += 1
    shift_by_id = {s.id: s for s in shifts}
    patrolled: set[int] = set()
    for signup, volunteer in repo.signups_for_shifts(session, run_ids):
        if signup.status == "confirmed" and not signup.no_show:
            shift = shift_by_id[signup.shift_id]
            per_area[shift.area_id].volunteer_hours += (shift.end_at - shift.start_at).total_seconds() / 3600
            patrolled.add(volunteer.id)
    debriefs = repo.debriefs_for_shifts(session, run_ids)
    shift_of_debrief = {d.id: shift_by_id[d.shift_id] for d in debriefs}
    supported = _people_supported(session, debriefs, {d: s.area_id for d, s in shift_of_debrief.items()}, per_area)
    inactive = sorted(
        u.display_name for v, u in repo.list_volunteers(session, status="active") if v.id not in patrolled
    )
    staffing = _month_staffing(session, shifts=shifts, areas=areas, per_area=per_area, first=first, last=last, now=now)
    return MonthlyReport(
        month=month,
        shifts_run=staffing.run,
        shifts_cancelled=sum(a.shifts_cancelled for a in per_area.values()),
        shifts_upcoming=upcoming,
        volunteer_hours=round(sum(a.volunteer_hours for a in per_area.values()), 1),
        people=supported.people,
        by_kind={k: supported.by_kind.get(k, 0) for k in SUPPORT_KINDS},
        by_gender={g: supported.by_gender.get(g, 0) for g in GENDERS},
        areas=sorted(per_area.values(), key=lambda a: a.name),
        incidents=repo.incident_count(session, list(shift_of_debrief)),
        debriefs_missing=len(run_ids) - len(debriefs),
        inactive_volunteers=inactive,
        actions=sum(supported.by_kind.values()),
        people_estimated=supported.people_estimated,
        debriefs_estimated=supported.debriefs_estimated,
        handovers={h: supported.handovers.get(h, 0) for h in HANDOVERS},
        by_age_band={b: supported.by_age_band.get(b, 0) for b in (*AGE_BANDS, "not_known")},
        staffing=staffing,
    )


@dataclass
class _PeopleTotals:
    people: int = 0
    people_estimated: int = 0
    debriefs_estimated: int = 0
    by_gender: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    handovers: Counter[str] = field(default_factory=Counter)
    by_age_band: Counter[str] = field(default_factory=Counter)


def _people_supported(
    session: Session, debriefs: list[Debrief], area_of_debrief: dict[int, int], per_area: dict[int, AreaMonth]
) -> _PeopleTotals:
    """The month's people and actions, added to each area too. A person recorded in a debrief counts
    once however many kinds of help they were given; each kind given is one action. A debrief filed
    before people were recorded one by one (``people_estimated``) gives its cells as actions and its
    people by ``estimate_people``, counted in ``people_estimated`` as well."""
    totals = _PeopleTotals()
    ids = [d.id for d in debriefs]
    people_of: defaultdict[int, list[PersonSupported]] = defaultdict(list)
    for row in repo.debrief_people(session, ids):
        people_of[row.debrief_id].append(person_of(row))
    cells_of: defaultdict[int, list[DebriefCount]] = defaultdict(list)
    for cell in repo.debrief_counts(session, ids):
        cells_of[cell.debrief_id].append(cell)
    for debrief in debriefs:
        item = per_area[area_of_debrief[debrief.id]]
        actions, by_gender = people_and_actions(debrief, people_of[debrief.id], cells_of[debrief.id])
        people = sum(by_gender.values())
        item.people += people
        item.women += by_gender.get("woman", 0)
        totals.people += people
        totals.by_gender.update(by_gender)
        for (kind, _gender), n in actions.items():
            item.by_kind[kind] += n
            totals.by_kind[kind] += n
        if debrief.people_estimated:
            item.people_estimated += people
            totals.people_estimated += people
            totals.debriefs_estimated += 1
            totals.by_age_band["not_known"] += people
        for person in people_of[debrief.id]:
            totals.by_age_band[person.age_band or "not_known"] += 1
            if person.handover is not None:
                item.handovers[person.handover] += 1
                totals.handovers[person.handover] += 1
    return totals


CSV_HEADER = ("month", "area", "measure", "value")


def csv_cell(value: Any) -> str:
    """Neutralise CSV injection: a cell starting with = + - @ (or tab/CR) is prefixed with '."""
    text = "" if value is None else str(value)
    return neutralise(text)


def _people_csv_rows(report: MonthlyReport, month: str) -> list[list[Any]]:
    """The month's people and actions for the CSV: actions by kind, people by gender, age band and
    hand-over (each person once)."""
    rows: list[list[Any]] = [[month, "all", f"actions_{kind}", n] for kind, n in report.by_kind.items()]
    rows += [[month, "all", f"people_{gender}", n] for gender, n in report.by_gender.items()]
    rows += [[month, "all", f"people_age_{band}", n] for band, n in report.by_age_band.items()]
    rows += [[month, "all", f"handover_{h}", n] for h, n in report.handovers.items()]
    return rows


def monthly_csv(report: MonthlyReport) -> str:
    """The month as CSV rows (month, area or "all" or "volunteer: <name>", measure, value)."""
    month = f"{report.month:%Y-%m}"
    rows: list[list[Any]] = []
    share = report.women_share
    for measure, value in [
        ("shifts_run", report.shifts_run),
        ("shifts_cancelled", report.shifts_cancelled),
        ("volunteer_hours", report.volunteer_hours),
        ("people_supported", report.people),
        ("people_estimated_from_older_debriefs", report.people_estimated),
        ("debriefs_estimated", report.debriefs_estimated),
        ("women_share_percent", round(share * 100, 1) if share is not None else ""),
        ("actions", report.actions),
        ("incidents", report.incidents),
        ("debriefs_missing", report.debriefs_missing),
    ]:
        rows.append([month, "all", measure, value])
    rows += _people_csv_rows(report, month)
    for area in report.areas:
        rows += [
            [month, area.name, "shifts_run", area.shifts_run],
            [month, area.name, "shifts_cancelled", area.shifts_cancelled],
            [month, area.name, "volunteer_hours", round(area.volunteer_hours, 1)],
            [month, area.name, "people_supported", area.people],
            [month, area.name, "people_estimated_from_older_debriefs", area.people_estimated],
            [month, area.name, "women_share_percent", round(area.women / area.people * 100, 1) if area.people else ""],
        ]
        rows += [[month, area.name, f"actions_{kind}", area.by_kind.get(kind, 0)] for kind in SUPPORT_KINDS]
        rows += [[month, area.name, f"handover_{h}", area.handovers.get(h, 0)] for h in HANDOVERS]
    for name in report.inactive_volunteers:
        rows.append([month, "all", "volunteer_without_shift", name])
    # Staffing on the night and reliability (issue 18).
    rows += [
        [month, "all", "shifts_below_minimum_confirmed", report.staffing.below_minimum_confirmed],
        [month, "all", "shifts_below_minimum_unconfirmed", report.staffing.below_minimum_unconfirmed],
        [month, "all", "shifts_stood_down", len(report.staffing.stood_down)],
    ]
    for area in report.areas:
        rows += [
            [month, area.name, "shifts_below_minimum_confirmed", area.shifts_below_minimum_confirmed],
            [month, area.name, "shifts_below_minimum_unconfirmed", area.shifts_below_minimum_unconfirmed],
            [month, area.name, "shifts_stood_down", area.shifts_stood_down],
        ]
    for night in report.staffing.stood_down:
        rows.append([month, night.area_name, "stood_down_night", f"{fmt_local(night.start_at)}: {night.reason}"])
    # One volunteer per scope "volunteer: <name>", as the per-area rows use the area's name.
    for r in report.staffing.reliability:
        rows += [
            [month, f"volunteer: {r.name}", "no_shows", r.no_shows],
            [month, f"volunteer: {r.name}", "late_cancellations", r.late_cancellations],
        ]
    # Every cell as text, so a number is checked like any other cell (see csv_cell).
    return csv_text(CSV_HEADER, [["" if cell is None else str(cell) for cell in row] for row in rows])
