"""The officer's map: filters, ward choropleth, hotspots, venues, safe spaces, patrol areas."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import OfficerPage
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.maps import coverage as coverage_service
from nte.maps import statistics as stats_service
from nte.maps.exceptions import InvalidMapFilter, InvalidMapFilters
from nte.maps.filters import COUNTABLE_STATUSES, DAY_NAMES, DEFAULT_STATUSES, SOURCE_CHOICE_WORDS, MapFilter
from nte.maps.pages.layers import EXAMPLE_VENUES_LAYER, layer_urls
from nte.maps.pages.officer_filter import NIGHT_HOURS, SOURCE_CONTEXT, boundaries_words, category_names, filter_from
from nte.reports.models import REPORT_SOURCES
from nte.wards import service as ward_service
from nte.web.templating import render

router = APIRouter(include_in_schema=False)

#: Filters kept in the "More filters" disclosure (period, source and night-time only stay in view).
MORE_FILTERS = ("borough", "vintage", "day", "hours", "status", "category", "cell_size")


def _cell_size_message() -> str:
    low, high = stats_service.MIN_CELL_SIZE, stats_service.MAX_CELL_SIZE
    return (
        f"The hot spot cell size is a number of metres from {low:,.0f} to {high:,.0f}: "
        "leave it empty to let the map choose."
    )


def _split_values(q: Any, key: str) -> list[str]:
    return [part.strip() for item in q.getlist(key) for part in item.split(",") if part.strip()]


def _form_values(request: Request, flt: MapFilter | None, cell_size: float | None) -> dict[str, Any]:
    """What the filter form shows: the filter in force, or (after a mistake) exactly what was sent."""
    q = request.query_params
    if flt is None:
        return {
            "from": q.get("from", ""),
            "to": q.get("to", ""),
            "borough": q.get("borough", ""),
            "hours": q.get("hours", ""),
            "night": bool(q.get("night")) or q.get("hours") == NIGHT_HOURS,
            "cell_size": q.get("cell_size", ""),
            "day": _split_values(q, "day"),
            "source": _split_values(q, "source"),
            "status": _split_values(q, "status") or list(DEFAULT_STATUSES),
            "category": _split_values(q, "category"),
            "vintage": q.get("vintage", ""),
        }
    bands = [f"{b.start:02d}-{b.end:02d}" for b in flt.hour_bands]
    night = bands == [NIGHT_HOURS]
    return {
        "from": flt.date_from.isoformat(),
        "to": flt.date_to.isoformat(),
        "borough": flt.borough or "",
        "hours": "" if night else ",".join(bands),
        "night": night,
        "cell_size": f"{cell_size:g}" if cell_size else "",
        "day": [str(d) for d in flt.days],
        "source": list(flt.sources),
        "status": list(flt.statuses),
        "category": list(flt.categories),
        "vintage": flt.vintage or "",
    }


def _vintage_choices(session: Any) -> list[tuple[str, str]]:
    """The ward boundaries picker: each borough's current boundaries (value ""), then every vintage
    loaded, oldest first, by name ("December 2013"), each valued by its key ("2013-12")."""
    sets = ward_service.vintages(session)
    names = {s.vintage: s.name for s in sets}
    try:
        current = ward_service.placement(session, settings=get_settings())
    except NTEError:  # no boundaries current yet: the page says so elsewhere
        current_names = []
    else:
        current_names = [names.get(v, v) for _s, v in current.set_vintages]
    text = "Current boundaries"
    if current_names:
        text += f" (each borough's: {', '.join(dict.fromkeys(current_names))})"
    return [("", text)] + [(s.vintage, s.name) for s in sets]


def _more_open(form: dict[str, Any], errors: dict[str, str]) -> bool:
    """The disclosure opens itself when one of its values is set, or wrong."""
    return bool(
        any(f in errors for f in MORE_FILTERS)
        or form["borough"]
        or form["vintage"]
        or form["day"]
        or form["hours"]
        or form["cell_size"]
        or form["category"]
        or sorted(form["status"]) != sorted(DEFAULT_STATUSES)
    )


def _source_links(
    covered: list[coverage_service.SourceCoverage], *, now: Any, vintage: str | None = None
) -> list[dict[str, Any]]:
    """Per source, its runs of months with data, each a link to that run (its latest twelve months),
    in the ward boundaries chosen."""
    links = []
    for c in covered:
        runs = []
        for run in c.runs or (coverage_service.MonthRun(*c.period(now=now)),):
            start, end = run.period()
            params = {"from": start.isoformat(), "to": end.isoformat(), "source": c.source}
            if vintage:
                params["vintage"] = vintage
            runs.append({"text": run.text, "href": "/officer/maps?" + urlencode(params)})
        links.append({"name": c.name, "source": c.source, "runs": runs})
    return links


def _boroughs(session: Any) -> list[tuple[str, str]]:
    settings = get_settings()
    names = {w.borough_code: w.borough_name for w in ward_service.ward_choices(session, settings=settings)}
    return sorted(((c, names.get(c, c)) for c in settings.boroughs), key=lambda b: b[1])


@router.get("/officer/maps", response_class=HTMLResponse)
def officer_map_page(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    """The officer's map. A mistake in the filters re-shows the form with every value as sent, each
    error beside its field and in the summary (422), and no map until it is put right."""
    settings = get_settings()
    errors: dict[str, str] = {}
    flt: MapFilter | None = None
    covered: list[coverage_service.SourceCoverage] = []
    cell_size = None
    try:
        flt, covered = filter_from(request, session)
    except InvalidMapFilters as exc:
        errors.update(exc.errors)
    except InvalidMapFilter as exc:
        errors[exc.field or "from"] = exc.detail
    try:
        cell_size = stats_service.validate_cell_size(request.query_params.get("cell_size"))
    except InvalidMapFilter:
        errors["cell_size"] = _cell_size_message()
    if errors:
        flt = None
        covered = coverage_service.coverage(session, settings=settings, statuses=DEFAULT_STATUSES)
    form = _form_values(request, flt, cell_size)
    context: dict[str, Any] = {
        "flt": flt,
        "errors": errors,
        "form": form,
        "more_open": _more_open(form, errors),
        "covered": covered,
        "source_links": _source_links(covered, now=utcnow(), vintage=flt.vintage if flt else None),
        "vintages": _vintage_choices(session),
        "defaulted": flt is not None and not request.query_params.get("from") and not request.query_params.get("to"),
        "boroughs": _boroughs(session),
        "categories": category_names(),
        "sources": REPORT_SOURCES,
        "source_words": SOURCE_CHOICE_WORDS,
        "statuses": COUNTABLE_STATUSES,
        "day_names": DAY_NAMES,
        "stats": None,
        "layers": [],
        "query": "",
        "report_query": "",
        **SOURCE_CONTEXT,
    }
    if flt is not None:
        stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
        params = flt.to_params() | ({"cell_size": f"{cell_size:g}"} if cell_size else {})
        query = urlencode(params)
        context.update(
            stats=stats,
            boundaries=boundaries_words(stats.placement),
            query=query,
            report_query=urlencode(flt.to_params()),
            layers=_officer_layers(flt, query),
            ward_legend=[
                (WARD_PALETTE[min(i, len(WARD_PALETTE) - 1)], label) for i, (_c, label) in enumerate(stats.legend)
            ]
            + [(stats_service.NO_DATA_COLOUR, "no reports")],
            bins=[
                (b, stats_service.BIN_COLOURS[b], stats_service.BIN_LABELS[b], "hot" if b > 0 else "cold")
                for b in (3, 2, 1, -1, -2, -3)
            ],
        )
    return render(request, "maps/officer.html", context, status_code=422 if errors else 200)


#: The ward choropleth on the officer's map: one hue (purple), light to dark, so it never reads as
#: the hot spot cells' red-blue (hot-cold) scale drawn over it.
WARD_PALETTE = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")


def _officer_layers(flt: MapFilter, query: str) -> list[dict[str, Any]]:
    urls = layer_urls()
    return [
        {
            "name": f"Wards: {flt.source_words()} per km² (purple shading)",
            "url": f"/api/maps/officer-map?{query}",
            "key": "wards",
            "kind": "choropleth",
            "palette": list(WARD_PALETTE),
            "panel": f"/officer/maps/wards/{{code}}?{urlencode(flt.to_params())}",
            "fit": True,
            "value": "count",
            "valueLabel": "reports",
        },
        {
            "name": "Hot spot cells (Gi*, outlined squares)",
            "url": f"/api/maps/officer-map?{query}",
            "key": "hotspots",
            "kind": "cells",
            "value": "label",
            "cellStyle": "outlined",
            "explainEmpty": True,
        },
        {"name": "Charter venues", "url": urls["venues"], "kind": "points", "colour": "#1f78b4"},
        {**EXAMPLE_VENUES_LAYER, "url": urls["example_venues"]},
        {"name": "Safe spaces", "url": urls["safe_spaces"], "kind": "points", "colour": "#33a02c", "value": "summary"},
        {"name": "Patrol areas", "url": urls["patrol_areas"], "kind": "areas", "colour": "#6a3d9a"},
    ]
