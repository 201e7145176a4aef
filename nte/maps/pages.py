"""Map pages: the officer map (filters, ward choropleth, hotspots, venues, safe spaces, patrol areas),
a ward's figures and trend, the standalone map download, the printable monthly ward report, the
public ward map, and the coordinator's patrol-area view.

The pages keep the site's strict CSP (no inline script): Leaflet and ``maps-page.js`` are served
from /static and read their layers from ``data-`` attributes. Folium is only used for the
standalone download, which is a separate document with its own sandboxed CSP."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from nte.audit import service as audit
from nte.auth.deps import OFFICERS, STAFF, public, require_page_roles
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.i18n import N_
from nte.maps import coordinator as coordinator_service
from nte.maps import public as public_service
from nte.maps import render as renderer
from nte.maps import statistics as stats_service
from nte.maps import wards as ward_service
from nte.maps.exceptions import InvalidMapFilter, PatrolAreasUnavailable
from nte.maps.filters import COUNTABLE_STATUSES, DAY_NAMES, MapFilter, add_months, london_today, parse_filter
from nte.reports.models import REPORT_SOURCES
from nte.web.i18n import LANGUAGES, PSEUDO_CODE, pseudo_text, translations_for
from nte.web.templating import render, request_gettext, request_language

router = APIRouter(include_in_schema=False)

OfficerPage = Annotated[User, Depends(require_page_roles(*OFFICERS))]
StaffPage = Annotated[User, Depends(require_page_roles(*STAFF))]
FILTER_KEYS = ("from", "to", "category", "day", "hours", "source", "status", "borough")


def _categories() -> dict[str, str]:
    try:
        from nte.reports.vocabulary import CATEGORIES
    except ImportError:  # the reports domain's vocabulary not installed yet
        return {}
    return dict(CATEGORIES)


def _filter_from(request: Request) -> MapFilter:
    q = request.query_params
    return parse_filter(
        now=utcnow(),
        date_from=q.get("from") or None,
        date_to=q.get("to") or None,
        category=q.getlist("category") or None,
        day=q.getlist("day") or None,
        hours=q.get("hours") or None,
        source=q.getlist("source") or None,
        status=q.getlist("status") or None,
        borough=q.get("borough") or None,
        boroughs=get_settings().boroughs,
    )


def _boroughs(session: Any) -> list[tuple[str, str]]:
    settings = get_settings()
    names = {w.borough_code: w.borough_name for w in ward_service.served_wards(session, settings=settings)}
    return sorted(((c, names.get(c, c)) for c in settings.boroughs), key=lambda b: b[1])


def _layer_urls() -> dict[str, str]:
    return {
        "venues": "/api/venues.geojson",
        "safe_spaces": "/api/safe-spaces.geojson",
        "patrol_areas": "/api/patrols/areas.geojson",
        "example_venues": "/api/venues.geojson?examples=true",
    }


# Unverified example venues (demo data: real pubs that have NOT signed), clearly labelled and off
# by default, so a demo map looks realistic without claiming anything about them.
EXAMPLE_VENUES_LAYER = {
    "name": "Example venues (demo data, not signed)",
    "kind": "points",
    "colour": "#6f777b",
    "only": "example",
    "hidden": True,
}


@router.get("/officer/maps", response_class=HTMLResponse)
def officer_map_page(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    settings = get_settings()
    errors: dict[str, str] = {}
    try:
        flt = _filter_from(request)
        cell_size = stats_service.validate_cell_size(request.query_params.get("cell_size"))
    except InvalidMapFilter as exc:
        errors[exc.field or "filters"] = exc.detail
        flt, cell_size = parse_filter(now=utcnow(), boroughs=settings.boroughs), None
    stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
    params = flt.to_params() | ({"cell_size": f"{cell_size:g}"} if cell_size else {})
    query = urlencode(params)
    urls = _layer_urls()
    layers = [
        {
            "name": "Wards: reports per km²",
            "url": f"/api/maps/officer-map?{query}",
            "key": "wards",
            "kind": "choropleth",
            "panel": f"/officer/maps/wards/{{code}}?{urlencode(flt.to_params())}",
            "fit": True,
            "value": "count",
            "valueLabel": "reports",
        },
        {
            "name": "Hotspot cells (Gi*, FDR)",
            "url": f"/api/maps/officer-map?{query}",
            "key": "hotspots",
            "kind": "cells",
            "value": "label",
        },
        {"name": "Charter venues", "url": urls["venues"], "kind": "points", "colour": "#1f78b4"},
        {**EXAMPLE_VENUES_LAYER, "url": urls["example_venues"]},
        {"name": "Safe spaces", "url": urls["safe_spaces"], "kind": "points", "colour": "#33a02c", "value": "summary"},
        {"name": "Patrol areas", "url": urls["patrol_areas"], "kind": "areas", "colour": "#6a3d9a"},
    ]
    values = {k: ", ".join(request.query_params.getlist(k)) for k in FILTER_KEYS}
    return render(
        request,
        "maps/officer.html",
        {
            "flt": flt,
            "stats": stats,
            "errors": errors,
            "values": values,
            "query": query,
            "layers": layers,
            "boroughs": _boroughs(session),
            "categories": _categories(),
            "sources": REPORT_SOURCES,
            "statuses": COUNTABLE_STATUSES,
            "day_names": DAY_NAMES,
            "cell_size": cell_size,
            "bins": [(b, stats_service.BIN_COLOURS[b], stats_service.BIN_LABELS[b]) for b in (3, 2, 1, -1, -2, -3)],
            "report_month": f"{add_months(london_today(utcnow()).replace(day=1), -1):%Y-%m}",
        },
        status_code=422 if errors else 200,
    )


@router.get("/officer/maps/wards/{code}", response_class=HTMLResponse)
def ward_panel(request: Request, session: SessionDep, user: OfficerPage, code: str) -> HTMLResponse:
    flt = _filter_from(request)
    ward = ward_service.get_ward(session, code=code[:40])
    if ward.borough_code not in get_settings().boroughs:
        raise ward_service.UnknownWard(code, field="code")
    flt = dataclasses.replace(flt, borough=ward.borough_code)
    stats = stats_service.ward_statistics(session, flt=flt, settings=get_settings())
    row = stats.row(ward.code)
    chart = renderer.trend_svg(stats.months, row.trend if row else [], title=f"Reports per month in {ward.name}")
    return render(request, "maps/_ward_panel.html", {"row": row, "stats": stats, "chart": chart, "flt": flt})


@router.get("/officer/maps/export.html")
def export_html(request: Request, session: SessionDep, user: OfficerPage) -> Response:
    settings = get_settings()
    flt = _filter_from(request)
    cell_size = stats_service.validate_cell_size(request.query_params.get("cell_size"))
    bundle, _hit = stats_service.officer_map(session, flt=flt, settings=settings, now=utcnow(), cell_size=cell_size)
    layers = []
    try:
        areas = coordinator_service.list_areas(session)
    except PatrolAreasUnavailable:
        areas = []
    if areas:
        from shapely.geometry import mapping

        layers.append(
            (
                "Patrol areas",
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "geometry": mapping(a.geometry), "properties": {"name": a.name}}
                        for a in areas
                    ],
                },
                "#6a3d9a",
            )
        )
    tile_url = None if settings.tile_url == "none" else settings.tile_url
    html = renderer.standalone_html(
        bundle,
        title=f"NTE Safe ward map: {flt.describe()}",
        tile_url=tile_url,
        tile_attribution=settings.tile_attribution,
        layers=layers,
    )
    audit.record(
        session,
        actor=user,
        action="maps.export",
        target_type="map_html",
        target_id=f"{flt.date_from}..{flt.date_to}",
        detail=flt.to_params(),
    )
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="nte-map-{flt.date_from}-{flt.date_to}.html"',
            "Content-Security-Policy": renderer.standalone_csp(tile_url),
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/officer/maps/report", response_class=HTMLResponse)
def monthly_report(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    month: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")] = None,
    borough: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    settings = get_settings()
    today = london_today(utcnow())
    if month:
        try:
            first = date(int(month[:4]), int(month[5:7]), 1)
        except ValueError:
            raise InvalidMapFilter("'month' must be a month like 2026-10.", field="month") from None
    else:
        first = add_months(today.replace(day=1), -1)
    last = add_months(first, 1) - timedelta(days=1)
    flt = parse_filter(
        now=utcnow(), date_from=first.isoformat(), date_to=last.isoformat(), borough=borough, boroughs=settings.boroughs
    )
    stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
    year = parse_filter(
        now=utcnow(),
        date_from=add_months(first, -11).isoformat(),
        date_to=last.isoformat(),
        borough=borough,
        boroughs=settings.boroughs,
    )
    yearly = stats_service.ward_statistics(session, flt=year, settings=settings)
    totals = [sum(r.trend[i] for r in yearly.rows) for i in range(len(yearly.months))]
    chart = renderer.trend_svg(yearly.months, totals, title="Reports per month, last 12 months")
    boroughs: dict[str, list[stats_service.WardRow]] = {}
    for r in sorted(stats.rows, key=lambda r: (r.borough_name, r.rank, r.name)):
        boroughs.setdefault(r.borough_name, []).append(r)
    return render(
        request,
        "maps/report.html",
        {"flt": flt, "stats": stats, "boroughs": boroughs, "chart": chart, "first": first, "generated": utcnow()},
    )


@router.get("/map", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_map(
    request: Request, session: SessionDep, period: Annotated[str | None, Query(max_length=40)] = None
) -> HTMLResponse:
    """The public ward map: opens on the newest period with figures; an unknown period is a 422
    that names the field and shows the opening period instead."""
    settings = get_settings()
    now = utcnow()
    gettext = request_gettext(request)
    error = None
    try:
        view = public_service.public_view(session, period_id=period, settings=settings, now=now)
    except NTEError as exc:
        if exc.field != "period":
            raise
        error = gettext(exc.detail)
        view = public_service.public_view(session, period_id=None, settings=settings, now=now)
    periods = public_service.periods_with_figures(session, settings=settings, now=now)
    if view["period"] not in {p.id for p in periods}:  # chosen by its address, with no figure in it
        offered = public_service.offered_periods(session, settings=settings, now=now)
        periods = public_service.newest_first(periods + [p for p in offered if p.id == view["period"]])
    context = _public_context(request, view, periods, settings, error=error)
    return render(request, "maps/public.html", context, status_code=422 if error else 200)


#: What each source of a published figure is, in the column heading and in the notes under the map.
SOURCE_LABELS = {"police": N_("Police-recorded crime"), "site": N_("Reports to this site")}
SOURCE_NOTES = {
    "police": N_(
        "Crimes recorded by the police (violence, sexual offences and public order), from police.uk's "
        "street-level crime data. police.uk already moves each crime to an anonymous nearby point, and "
        "gives the month only."
    ),
    "site": N_(
        "Reports of harassment made on this site (or on the council's partner forms and added here), "
        "counted only once the council has checked them."
    ),
}
# The period-error message from nte.maps.exceptions, marked here so the public catalogue has it.
N_("Choose one of the published periods in the list.")


def _babel_locale(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"  # the pseudo-locale has no calendar of its own


def _month_name(day: date, *, lang: str) -> str:
    name = str(format_date(day, "LLLL", locale=_babel_locale(lang)))
    return pseudo_text(name) if lang == PSEUDO_CODE else name


def _long_date(day: date, *, lang: str) -> str:
    text = str(format_date(day, "long", locale=_babel_locale(lang)))
    return pseudo_text(text) if lang == PSEUDO_CODE else text


def period_name(period: Any, *, lang: str, gettext: Any) -> str:
    """A period's name in the page's language: month names from Babel, the rest from the catalogue."""
    locale = _babel_locale(lang)
    if period.kind == "month":
        name = str(format_date(period.start, "LLLL y", locale=locale))
        return pseudo_text(name) if lang == PSEUDO_CODE else name  # the pseudo-locale's calendar
    if period.kind == "quarter":
        return str(
            gettext("%(year)s, quarter %(quarter)s (%(first)s to %(last)s)")
            % {
                "year": period.start.year,
                "quarter": (period.start.month - 1) // 3 + 1,
                "first": _month_name(period.start, lang=lang),
                "last": _month_name(period.end, lang=lang),
            }
        )
    return str(period.start.year)


def figure_words(figure: dict[str, Any], *, months: int, threshold: int, gettext: Any, ngettext: Any) -> str:
    """A published figure in words, in the page's language (the same rules as ``public.combined``)."""
    value, hidden = figure["value"], figure["months_below_threshold"]
    if months == 1:
        return str(gettext("fewer than %(n)s") % {"n": threshold}) if value is None else str(value)
    if value is None:
        return str(gettext("fewer than %(n)s in each month") % {"n": threshold})
    if hidden == 0:
        return str(value)
    return str(
        ngettext(
            "%(value)s, with fewer than %(n)s in %(hidden)s other month",
            "%(value)s, with fewer than %(n)s in each of %(hidden)s other months",
            hidden,
        )
        % {"value": value, "n": threshold, "hidden": hidden}
    )


def _public_context(
    request: Request, view: dict[str, Any], periods: list[Any], settings: Any, error: str | None = None
) -> dict[str, Any]:
    lang = request_language(request)
    trans = translations_for(lang)
    gettext, ngettext = trans.gettext, trans.ngettext
    threshold = settings.public_suppression_threshold
    urls = _layer_urls()
    layers = [
        {
            "name": gettext("Reports by ward"),
            "url": f"/api/maps/public/wards.geojson?period={view['period']}",
            "kind": "choropleth",
            "fit": True,
            "figures": "public-figures",
        },
        {"name": gettext("Charter venues"), "url": urls["venues"], "kind": "points", "colour": "#1f78b4"},
        {
            **EXAMPLE_VENUES_LAYER,
            "name": gettext("Example venues (demo data, not signed)"),
            "url": urls["example_venues"],
        },
        {
            "name": gettext("Safe spaces open now"),
            "url": urls["safe_spaces"],
            "kind": "points",
            "colour": "#33a02c",
            "only": "is_open",
            "value": "summary",
        },
    ]
    months = len(view["months"])
    sources = [
        {"key": key, "heading": gettext(SOURCE_LABELS[key]), "note": gettext(SOURCE_NOTES[key])}
        for key in view.get("sources", ())
    ]
    rows = [
        {
            "code": p["code"],
            "name": p["name"],
            "borough_name": p["borough_name"],
            "figures": [
                figure_words(
                    p["sources"][s["key"]], months=months, threshold=threshold, gettext=gettext, ngettext=ngettext
                )
                for s in sources
            ],
        }
        for p in sorted((f["properties"] for f in view["features"]), key=lambda p: (p["borough_name"], p["name"]))
    ]
    shown = next((p for p in periods if p.id == view["period"]), None)
    legend_labels = (
        [gettext("fewer than %(n)s") % {"n": threshold}]
        + [gettext("%(low)s to %(high)s") % {"low": low, "high": high} for low, high in ((10, 24), (25, 49), (50, 99))]
        + [gettext("%(n)s or more") % {"n": 100}]
    )
    return {
        "view": view,
        "periods": [{"id": p.id, "name": period_name(p, lang=lang, gettext=gettext)} for p in periods],
        "period_name": period_name(shown, lang=lang, gettext=gettext) if shown else view["period_label"],
        "period_kind": shown.kind if shown else "month",
        "published_on": _long_date(date.fromisoformat(view["published_on"]), lang=lang),
        "layers": layers,
        "rows": rows,
        "sources": sources,
        "legend": [
            {"colour": colour, "label": label}
            for (_lower, colour), label in zip(public_service.PUBLIC_CLASSES, legend_labels, strict=True)
        ],
        "error": error,
        "quick_exit": True,
        "threshold": threshold,
    }


@router.get("/coordinator/maps", response_class=HTMLResponse)
def coordinator_page(
    request: Request,
    session: SessionDep,
    user: StaffPage,
    area: Annotated[int | None, Query(ge=1)] = None,
    series: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    settings = get_settings()
    try:
        areas = coordinator_service.list_areas(session)
    except PatrolAreasUnavailable as exc:
        return render(request, "maps/coordinator.html", {"areas": [], "unavailable": exc.detail, "view": None})
    view, error = None, None
    if area is None and areas:
        area = areas[0].id
    if area is not None:
        try:
            view = coordinator_service.coordinator_view(
                session, area_id=area, series_id=series, settings=settings, now=utcnow()
            )
        except NTEError as exc:
            if exc.status_code >= 500:
                raise
            error = exc.detail
    layers = []
    if view:
        query = urlencode({"area": area, **({"series": series} if series else {})})
        layers = [
            {"name": "Patrol areas", "url": "/api/patrols/areas.geojson", "kind": "areas", "colour": "#6a3d9a"},
            {
                "name": "Hotspot cells in or near this area",
                "url": f"/api/maps/coordinator?{query}",
                "key": "in_or_near",
                "kind": "cells",
                "value": "label",
                "fit": True,
            },
            {
                "name": "Hot spots no patrol covers",
                "url": f"/api/maps/coordinator?{query}",
                "key": "uncovered",
                "kind": "cells",
                "value": "label",
                "outline": "#000",
            },
        ]
    return render(
        request,
        "maps/coordinator.html",
        {
            "areas": areas,
            "area_id": area,
            "series_id": series,
            "view": view,
            "error": error,
            "layers": layers,
            "unavailable": None,
        },
        status_code=422 if error else 200,
    )
