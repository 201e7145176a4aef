"""Patrol pages: the coordinator's staffing board, areas, series, shifts, volunteers and monthly
report; the volunteer's shifts, sign-up, check-in, home safe, debrief and calendar feed.

POST handlers redirect (303) on success and re-show the page with the error next to its field and a
4xx status on failure (the service raised before writing anything).

The pages are split by who uses them: `coordinator` (board, shifts, monthly report), `areas`, `series`,
`volunteers` (the coordinator's volunteer list, invitations and records) and `volunteer` (the
volunteer's own shifts and debrief). `common` holds what they share."""

from fastapi import APIRouter

from nte.patrols.pages import areas, coordinator, series, volunteer, volunteers

#: The page routers in matching order, listed one by one in `nte.app.ROUTERS`.
ROUTERS: tuple[APIRouter, ...] = (
    coordinator.router,
    areas.router,
    series.router,
    volunteers.router,
    volunteer.router,
)
