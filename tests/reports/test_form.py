"""The report form's date limits are London's calendar, not UTC's."""

from __future__ import annotations

from datetime import UTC, datetime

from nte.reports.pages import _form_context


def test_after_midnight_in_a_london_summer_today_is_not_greyed_out(db):
    # 23:30 UTC on 1 June is 00:30 on 2 June in London (BST): the picker's latest day is 2 June.
    context = _form_context(db, {}, {}, now=datetime(2027, 6, 1, 23, 30, tzinfo=UTC))
    assert context["max_date"] == "2027-06-02"
    # In winter London is on UTC: 23:30 on 1 December is still 1 December.
    assert _form_context(db, {}, {}, now=datetime(2027, 12, 1, 23, 30, tzinfo=UTC))["max_date"] == "2027-12-01"
