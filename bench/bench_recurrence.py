"""Benchmark: one year of patrol shifts for 50 recurring series.

Run: .venv/bin/python bench/bench_recurrence.py

Compares ``nte.patrols.recurrence.materialise`` with the straightforward
approach in the same run: parse the RRULE with dateutil on every call, expand
it from the series start with ``rrule.between`` and localise each occurrence
with zoneinfo. Both must produce the same shifts; the table shows the best
and median of several runs and checks the target (< 1 s for the year).
"""

from __future__ import annotations

import statistics
import sys
import time as timer
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nte.patrols.recurrence import NightChange, ShiftSeriesSpec, materialise  # noqa: E402

WINDOW_START = datetime(2027, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2028, 1, 1, tzinfo=UTC)
TARGET_SECONDS = 1.0
RUNS = 7

WEEKLY_RULES = [
    ("FREQ=WEEKLY;BYDAY=FR", time(22), time(4)),
    ("FREQ=WEEKLY;BYDAY=SA", time(22), time(4)),
    ("FREQ=WEEKLY;BYDAY=FR,SA", time(21, 30), time(3, 30)),
    ("FREQ=WEEKLY;BYDAY=TH,FR,SA", time(20), time(2)),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", time(22), time(4)),
    ("FREQ=WEEKLY;BYDAY=SU", time(0, 30), time(3, 30)),
    # Floating local UNTIL: dateutil alone would read a date-only UNTIL as midnight, we as the whole day.
    ("FREQ=WEEKLY;BYDAY=WE;UNTIL=20271215T235959", time(19), time(23)),
]

Key = tuple[int, date, datetime, datetime, bool]


def weekly_series(count: int = 50) -> list[ShiftSeriesSpec]:
    """Mixed weekly rules; some running since 2019, some with edits."""
    series = []
    for i in range(count):
        rule, start, end = WEEKLY_RULES[i % len(WEEKLY_RULES)]
        first = date(2019 + i % 9, 1, 1)
        exceptions = {date(2027, 12, 24), date(2027, 12, 25), date(2027, 12, 31)} if i % 4 == 0 else set()
        changes = {date(2027, 6, 4): NightChange(end_time=time(5, 30))} if i % 5 == 0 else {}
        series.append(
            ShiftSeriesSpec(
                rrule=rule,
                start_date=first,
                start_time=start,
                end_time=end,
                exceptions=frozenset(exceptions),
                changes=changes,
            )
        )
    return series


def daily_series(count: int = 50) -> list[ShiftSeriesSpec]:
    """Stress case: nightly series that have run since 2019."""
    return [
        ShiftSeriesSpec(rrule="FREQ=DAILY", start_date=date(2019, 1, 1), start_time=time(22), end_time=time(4))
        for _ in range(count)
    ]


def ours(series: list[ShiftSeriesSpec]) -> set[Key]:
    return {
        (i, o.occurrence_date, o.start_at, o.end_at, o.cancelled)
        for i, s in enumerate(series)
        for o in materialise(s, window_start=WINDOW_START, window_end=WINDOW_END)
    }


def naive(series: list[ShiftSeriesSpec]) -> set[Key]:
    """The straightforward approach: parse, expand from the start, localise each."""
    result = set()
    for i, s in enumerate(series):
        zone = ZoneInfo(s.tz)
        rule = rrulestr(s.rrule, dtstart=datetime.combine(s.start_date, s.start_time))
        lo = WINDOW_START.astimezone(zone).replace(tzinfo=None) - timedelta(days=2)
        hi = WINDOW_END.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        for generated in rule.between(lo, hi, inc=True):
            day = generated.date()
            change = s.changes.get(day)
            start_time = change.start_time if change and change.start_time else s.start_time
            end_time = change.end_time if change and change.end_time else s.end_time
            end_day = day + timedelta(days=1) if end_time <= start_time else day
            start_at = datetime.combine(day, start_time, zone).astimezone(UTC)
            end_at = datetime.combine(end_day, end_time, zone).astimezone(UTC)
            if start_at < WINDOW_END and end_at > WINDOW_START:
                result.add((i, day, start_at, end_at, day in s.exceptions))
    return result


def timed(fn: Callable[[list[ShiftSeriesSpec]], set[Key]], series: list[ShiftSeriesSpec]) -> tuple[list[float], int]:
    times = []
    produced = 0
    for _ in range(RUNS):
        began = timer.perf_counter()
        produced = len(fn(series))
        times.append(timer.perf_counter() - began)
    return times, produced


def main() -> int:
    build_began = timer.perf_counter()
    weekly = weekly_series()
    build_weekly = timer.perf_counter() - build_began
    scenarios = [
        ("50 weekly series (mixed, since 2019-2027)", weekly),
        ("50 nightly series since 2019 (stress)", daily_series()),
    ]

    print(f"Window {WINDOW_START:%Y-%m-%d} .. {WINDOW_END:%Y-%m-%d} (Europe/London), best/median of {RUNS} runs")
    print(f"Building + validating the 50 weekly specs: {build_weekly * 1000:.1f} ms (once per request at most)")
    print()
    header = (
        f"{'scenario':<44} {'method':<10} {'best ms':>9} {'median ms':>10} {'shifts':>7} {'target':>8} {'result':>6}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for name, series in scenarios:
        ours_times, ours_count = timed(ours, series)
        naive_times, naive_count = timed(naive, series)
        same = ours(series) == naive(series)
        ok &= same
        for method, times, count in (("materialise", ours_times, ours_count), ("naive", naive_times, naive_count)):
            passed = min(times) < TARGET_SECONDS
            if method == "materialise":
                ok &= passed
            print(
                f"{name:<44} {method:<10} {min(times) * 1000:>9.1f} {statistics.median(times) * 1000:>10.1f}"
                f" {count:>7} {'< 1 s':>8} {'pass' if passed else 'FAIL':>6}"
            )
        speedup = statistics.median(naive_times) / statistics.median(ours_times)
        print(f"{'':<44} same shifts: {'yes' if same else 'NO'}; materialise is {speedup:.1f}x the naive speed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
