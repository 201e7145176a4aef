"""Reminders and alerts sent by the jobs: shift reminders, staffing alerts and invitations,
lone-worker alerts and record expiry reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.auth import repository as auth_repo
from nte.auth.models import User
from nte.london import london_today, to_london
from nte.notifications import service as outbox
from nte.patrols import repository as repo
from nte.patrols.config import get_patrol_settings
from nte.patrols.messages import (
    INVITE,
    INVITE_SUBJECT,
    LONE_WORKER,
    LONE_WORKER_CHECKED_IN,
    LONE_WORKER_NOT_CHECKED_IN,
    LONE_WORKER_SUBJECT,
    NOT_RECORDED,
    RECORD_EXPIRY,
    RECORD_EXPIRY_COORDINATORS,
    RECORD_EXPIRY_COORDINATORS_SUBJECT,
    RECORD_EXPIRY_SUBJECT,
    REMINDER,
    REMINDER_SUBJECT,
    STAFFING_ALERT,
    STAFFING_ALERT_STAND_DOWN,
    STAFFING_ALERT_SUBJECT,
    VOLUNTEER_NUMBER,
    greeted,
    render,
)
from nte.patrols.models import (
    Shift,
    Volunteer,
)
from nte.patrols.service.areas import get_area
from nte.patrols.service.clock import fmt_day, fmt_local, when_words
from nte.patrols.service.notify import coordinator_mail
from nte.patrols.service.staffing import TEAM_MINIMUM, staffing_for, stand_down_time
from nte.patrols.service.volunteers import best_records, eligibility_problem, get_volunteer
from nte.patrols.vocabulary import (
    RECORD_LABELS,
)


def send_shift_reminders(session: Session, *, now: datetime) -> int:
    """T-24 h and T-2 h reminders to confirmed volunteers; keyed by sign-up, kind and start time.

    The words ("tonight", "tomorrow", see :func:`when_words`) follow the night in London time, not
    which reminder it is: a T-2 h reminder at 23:00 for a 01:00 start is still "tonight".
    """
    sent = 0
    for shift in repo.shifts_starting_between(session, now, now + timedelta(hours=24)):
        kind = "2h" if shift.start_at - now <= timedelta(hours=2) else "24h"
        area = get_area(session, shift.area_id)
        when = when_words(shift.start_at, now=now)
        for signup, _volunteer, user in repo.signups_for_shift(session, shift.id):
            if signup.status != "confirmed":
                continue
            ends = to_london(shift.end_at)
            text = render(
                REMINDER,
                area=area.name,
                when=when,
                day=fmt_day(shift.start_at),
                end_time=f"{ends:%H:%M}",
                end_day=f"{ends:%A} {ends.day} {ends:%B}",
                meet=shift.meeting_point or area.name,
            )
            if outbox.enqueue(
                session,
                to=user.email,
                now=now,
                body=greeted(user.display_name, text),
                subject=render(REMINDER_SUBJECT, when=when, area=area.name),
                dedupe_key=f"patrol:reminder:{kind}:{signup.id}:{int(shift.start_at.timestamp())}",
            ):
                sent += 1
    return sent


def eligible_free_volunteers(session: Session, shift: Shift) -> list[tuple[Volunteer, User]]:
    busy = repo.busy_volunteer_ids(session, shift)
    on = london_today(shift.end_at)
    return [
        (v, u)
        for v, u in repo.list_volunteers(session, status="active")
        if v.id not in busy and eligibility_problem(session, v, on=on) is None
    ]


def staffing_alerts(session: Session, *, now: datetime) -> int:
    """At T-48 h a shift below its minimum alerts the coordinators and invites free, eligible volunteers."""
    settings = get_patrol_settings()
    sent = 0
    upcoming = repo.shifts_starting_between(session, now, now + timedelta(hours=settings.staffing_alert_hours))
    for item in staffing_for(session, upcoming):
        if item.state not in ("at_risk", "cannot_run"):
            continue
        shift = item.shift
        when = when_words(shift.start_at, now=now)
        day = fmt_day(shift.start_at)
        state = item.label.lower()
        subject = render(STAFFING_ALERT_SUBJECT, state=state, area=item.area_name, when=when)
        body = render(
            STAFFING_ALERT, area=item.area_name, when=when, day=day, state=state, reasons="; ".join(item.reasons)
        )
        if item.stand_down_reason() is not None:  # issue 18: say when it is stood down
            body += render(STAFFING_ALERT_STAND_DOWN, minimum=TEAM_MINIMUM, at=fmt_local(stand_down_time(shift)))
        sent += coordinator_mail(session, subject=subject, body=body, key=f"patrol:staffing:{shift.id}", now=now)
        for volunteer, user in eligible_free_volunteers(session, shift):
            if outbox.enqueue(
                session,
                to=user.email,
                now=now,
                dedupe_key=f"patrol:invite:{shift.id}:{volunteer.id}",
                subject=render(INVITE_SUBJECT, area=item.area_name, when=when),
                body=greeted(user.display_name, render(INVITE, area=item.area_name, when=when, day=day)),
            ):
                sent += 1
    return sent


def lone_worker_alerts(session: Session, *, now: datetime) -> int:
    """Alert the coordinators about anyone not confirmed home safe 30 minutes after the end."""
    settings = get_patrol_settings()
    grace = timedelta(minutes=settings.home_safe_grace_minutes)
    sent = 0
    for signup, shift in repo.confirmed_without_home_safe(session, now - grace, now - timedelta(days=2)):
        volunteer = get_volunteer(session, signup.volunteer_id)
        user = auth_repo.get_user(session, volunteer.user_id)
        area = get_area(session, shift.area_id)
        name = user.display_name if user else render(VOLUNTEER_NUMBER, id=volunteer.id)
        checked_in = (
            render(LONE_WORKER_CHECKED_IN, at=fmt_day(signup.checked_in_at))
            if signup.checked_in_at
            else LONE_WORKER_NOT_CHECKED_IN
        )
        body = render(
            LONE_WORKER,
            name=name,
            area=area.name,
            ended=fmt_day(shift.end_at),
            checked_in=checked_in,
            phone=volunteer.phone or NOT_RECORDED,
            contact=volunteer.emergency_contact or NOT_RECORDED,
        )
        sent += coordinator_mail(
            session,
            subject=render(LONE_WORKER_SUBJECT, name=name),
            body=body,
            key=f"patrol:lone-worker:{signup.id}",
            now=now,
        )
        signup.lone_worker_alerted_at = now
    session.flush()
    return sent


def record_expiry_reminders(session: Session, *, now: datetime) -> int:
    """30 and 7 days before a record expires, remind the volunteer and the coordinators (once each)."""
    today = london_today(now)
    records = repo.records_expiring_between(session, today, today + timedelta(days=30))
    if not records:
        return 0
    best = best_records(repo.records_for(session, {r.volunteer_id for r in records}))
    sent = 0
    for record in records:
        if best.get((record.volunteer_id, record.kind)) is not record:
            continue  # renewed: a later record of the same kind lasts longer
        volunteer = get_volunteer(session, record.volunteer_id)
        if volunteer.status == "left":
            continue
        user = auth_repo.get_user(session, volunteer.user_id)
        assert record.expires_date is not None
        days = (record.expires_date - today).days
        threshold = "7d" if days <= 7 else "30d"
        label = RECORD_LABELS[record.kind]
        when = f"{record.expires_date:%d %B %Y}"
        name = user.display_name if user else volunteer.id
        if user is not None and outbox.enqueue(
            session,
            to=user.email,
            now=now,
            dedupe_key=f"patrol:record:{record.id}:{threshold}:volunteer",
            subject=render(RECORD_EXPIRY_SUBJECT, label=label, when=when),
            body=greeted(user.display_name, render(RECORD_EXPIRY, label=label, when=when, days=days)),
        ):
            sent += 1
        sent += coordinator_mail(
            session,
            now=now,
            key=f"patrol:record:{record.id}:{threshold}",
            subject=render(RECORD_EXPIRY_COORDINATORS_SUBJECT, label=label, name=name, when=when),
            body=render(RECORD_EXPIRY_COORDINATORS, label=label, name=name, when=when, days=days),
        )
    return sent
