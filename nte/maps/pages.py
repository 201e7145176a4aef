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
from nte.maps import coverage as coverage_service
from nte.maps import public as public_service
from nte.maps import render as renderer
from nte.maps import statistics as stats_service
from nte.maps.exceptions import InvalidMapFilter, InvalidMapFilters
from nte.maps.filters import (
    COUNTABLE_STATUSES,
    DAY_NAMES,
    DEFAULT_STATUSES,
    PAGE_PARAMS,
    POLICE_ATTRIBUTION,
    SOURCE_CHOICE_WORDS,
    SOURCE_GROUP_WORDS,
    MapFilter,
    add_months,
    london_today,
    parse_filter,
    unknown_parameters,
)
from nte.reports.models import REPORT_SOURCES
from nte.wards import service as ward_service
from nte.wards.exceptions import UnknownWard
from nte.web.i18n import LANGUAGES, PSEUDO_CODE, pseudo_text, translations_for
from nte.web.templating import render, request_gettext, request_language

router = APIRouter(include_in_schema=False)

OfficerPage = Annotated[User, Depends(require_page_roles(*OFFICERS))]
StaffPage = Annotated[User, Depends(require_page_roles(*STAFF))]


def _categories() -> dict[str, str]:
    try:
        from nte.reports.vocabulary import CATEGORIES
    except ImportError:  # the reports domain's vocabulary not installed yet
        return {}
    return dict(CATEGORIES)


#: The two sources on the officer's pages (headings of their counts, kept apart).
SOURCE_GROUP_NAMES = {"public": "Public reports", "police": "Police-recorded crime"}
#: What every officer page with figures is told about their sources.
SOURCE_CONTEXT = {
    "source_group_names": SOURCE_GROUP_NAMES,
    "source_group_words": SOURCE_GROUP_WORDS,
    "police_attribution": POLICE_ATTRIBUTION,
}

NIGHT_HOURS = "18-06"
#: Filters kept in the "More filters" disclosure (period, source and night-time only stay in view).
MORE_FILTERS = ("borough", "vintage", "day", "hours", "status", "category", "cell_size")


def _cell_size_message() -> str:
    low, high = stats_service.MIN_CELL_SIZE, stats_service.MAX_CELL_SIZE
    return (
        f"The hot spot cell size is a number of metres from {low:,.0f} to {high:,.0f}: "
        "leave it empty to let the map choose."
    )


def _hours(q: Any) -> str | None:
    """The hour bands typed, or the night-time economy's 18-06 when only "night-time only" is ticked."""
    return q.get("hours") or (NIGHT_HOURS if q.get("night") else None)


#: What the officer's map pages take in their address besides the filter.
OFFICER_PAGE_PARAMS = ("night", "cell_size", *PAGE_PARAMS)


def _filter_from(
    request: Request, session: Any, *, default_period: bool = True, also: tuple[str, ...] = OFFICER_PAGE_PARAMS
) -> tuple[MapFilter, list[coverage_service.SourceCoverage]]:
    """The filter in the address; with no dates in it, moved to the latest period that has data. Any
    other parameter than the filter's and ``also`` is an error naming it."""
    q = request.query_params
    now = utcnow()
    flt = parse_filter(
        now=now,
        date_from=q.get("from") or None,
        date_to=q.get("to") or None,
        category=q.getlist("category") or None,
        day=q.getlist("day") or None,
        hours=_hours(q),
        source=q.getlist("source") or None,
        status=q.getlist("status") or None,
        borough=q.get("borough") or None,
        boroughs=get_settings().boroughs,
        known_categories=_categories() or None,
        vintage=q.get("vintage") or None,
        vintages=[s.vintage for s in ward_service.vintages(session)],
        sent=q.keys(),
        also_allowed=also,
    )
    if default_period and not q.get("from") and not q.get("to"):
        return coverage_service.with_default_period(session, flt, settings=get_settings(), now=now)
    covered = coverage_service.coverage(session, settings=get_settings(), statuses=flt.statuses, borough=flt.borough)
    return flt, covered


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


def boundaries_words(placement: ward_service.Placement) -> str:
    """Which boundaries figures are in, after "Wards:": "December 2013 boundaries", or "current
    boundaries (May 2022)"."""
    return f"{placement.label} boundaries" if placement.vintage else placement.label


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
    """The officer's map. A mistake in the filters re-shows the form with every value as sent, each
    error beside its field and in the summary (422), and no map until it is put right."""
    settings = get_settings()
    errors: dict[str, str] = {}
    flt: MapFilter | None = None
    covered: list[coverage_service.SourceCoverage] = []
    cell_size = None
    try:
        flt, covered = _filter_from(request, session)
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
        "categories": _categories(),
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
    urls = _layer_urls()
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


@router.get("/officer/maps/wards/{code}", response_class=HTMLResponse)
def ward_panel(request: Request, session: SessionDep, user: OfficerPage, code: str) -> HTMLResponse:
    flt, _covered = _filter_from(request, session)
    ward = ward_service.get_ward(session, code=code[:40], vintage=flt.vintage)
    if ward.borough_code not in get_settings().boroughs:
        raise UnknownWard(code, field="code")
    flt = dataclasses.replace(flt, borough=ward.borough_code)
    stats = stats_service.ward_statistics(session, flt=flt, settings=get_settings())
    row = stats.row(ward.code)
    boundaries = boundaries_words(stats.placement)
    chart = renderer.trend_svg(
        stats.months,
        row.trend if row else [],
        title=f"Reports per month in {ward.name} ({ward.code}), {boundaries}",
    )
    return render(
        request,
        "maps/_ward_panel.html",
        {"row": row, "stats": stats, "chart": chart, "flt": flt, "boundaries": boundaries, **SOURCE_CONTEXT},
    )


@router.get("/officer/maps/export.html")
def export_html(request: Request, session: SessionDep, user: OfficerPage) -> Response:
    settings = get_settings()
    flt, covered = _filter_from(request, session)
    cell_size = stats_service.validate_cell_size(request.query_params.get("cell_size"))
    bundle, _hit = stats_service.officer_map(session, flt=flt, settings=settings, now=utcnow(), cell_size=cell_size)
    layers = []
    areas = coordinator_service.list_areas(session)
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
        title=f"NTE Safe ward map ({flt.source_words()}): {flt.describe()}. "
        f"Data covers: {', '.join(c.text for c in covered)}",
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
) -> HTMLResponse:
    """The printable ward report for the map's period and filters (from the map's link), or for one
    month; with neither, the latest month that has data."""
    settings = get_settings()
    flt, covered = _filter_from(request, session, default_period=False, also=(*OFFICER_PAGE_PARAMS, "month"))
    if month:
        try:
            first = date(int(month[:4]), int(month[5:7]), 1)
        except ValueError:
            raise InvalidMapFilter("Choose a month like 2026-10 (year, then month 01 to 12).", field="month") from None
        flt = dataclasses.replace(flt, date_from=first, date_to=add_months(first, 1) - timedelta(days=1))
    elif not request.query_params.get("from") and not request.query_params.get("to"):
        first = coverage_service.latest_month(covered, sources=flt.sources) or add_months(
            london_today(utcnow()).replace(day=1), -1
        )
        flt = dataclasses.replace(flt, date_from=first, date_to=add_months(first, 1) - timedelta(days=1))
    stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
    one_month = flt.date_from.day == 1 and flt.date_to == add_months(flt.date_from, 1) - timedelta(days=1)
    last_month = flt.date_to.replace(day=1)
    year = dataclasses.replace(flt, date_from=min(flt.date_from, add_months(last_month, -11)))
    yearly = stats_service.ward_statistics(session, flt=year, settings=settings)
    totals = [sum(r.trend[i] for r in yearly.rows) for i in range(len(yearly.months))]
    chart = renderer.trend_svg(
        yearly.months,
        totals,
        title=f"Reports per month, {yearly.months[0]} to {yearly.months[-1]}, {boundaries_words(yearly.placement)}",
    )
    boroughs: dict[str, list[stats_service.WardRow]] = {}
    for r in sorted(stats.rows, key=lambda r: (r.borough_name, r.rank, r.name)):
        boroughs.setdefault(r.borough_name, []).append(r)
    period = f"{flt.date_from:%B %Y}" if one_month else f"{flt.date_from:%-d %b %Y} to {flt.date_to:%-d %b %Y}"
    return render(
        request,
        "maps/report.html",
        {
            "flt": flt,
            "stats": stats,
            "boroughs": boroughs,
            "chart": chart,
            "period": period,
            "one_month": one_month,
            "covered": covered,
            "map_query": urlencode(flt.to_params()),
            "boundaries": boundaries_words(stats.placement),
            "generated": utcnow(),
            **SOURCE_CONTEXT,
        },
    )


#: What the public map takes in its address.
PUBLIC_MAP_PARAMS = ("period", "source", *PAGE_PARAMS)


@router.get("/map", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_map(
    request: Request,
    session: SessionDep,
    period: Annotated[str | None, Query(max_length=40)] = None,
    source: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The public ward map of one source: public reports (people who reported to NTE Safe) unless
    police-recorded crime is chosen (a link, no script needed). It opens on the newest period with
    figures of that source; an unknown period, source or parameter is a 422 that names each in words
    and shows the opening view instead."""
    settings = get_settings()
    now = utcnow()
    gettext = request_gettext(request)
    errors: dict[str, str] = {}
    for name, _detail in unknown_parameters(request.query_params.keys(), PUBLIC_MAP_PARAMS).items():
        errors[name] = str(gettext("This map has no setting called %(name)s.") % {"name": repr(name)})
    try:
        chosen = public_service.public_source(source)
    except NTEError as exc:
        errors["source"] = gettext(exc.detail)
        chosen = public_service.DEFAULT_PUBLIC_SOURCE
    view = None
    if not errors:
        try:
            view = public_service.public_view(session, period_id=period, settings=settings, now=now, source=chosen)
        except NTEError as exc:
            if exc.field != "period":
                raise
            errors["period"] = gettext(exc.detail)
    if view is None:
        view = public_service.public_view(session, period_id=None, settings=settings, now=now, source=chosen)
    periods = public_service.periods_with_figures(session, settings=settings, now=now, source=chosen)
    published_any = bool(periods)
    if view["period"] not in {p.id for p in periods}:  # chosen by its address, with no figure in it
        offered = public_service.offered_periods(session, settings=settings, now=now)
        periods = public_service.newest_first(periods + [p for p in offered if p.id == view["period"]])
    context = _public_context(request, view, periods, settings, errors=errors) | {"published_any": published_any}
    return render(request, "maps/public.html", context, status_code=422 if errors else 200)


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
#: The public map's two sources, as a person choosing between them reads them.
PUBLIC_SOURCE_NAMES = {"public": N_("Public reports"), "police": N_("Police-recorded crime")}
PUBLIC_SOURCE_TEXT = {
    "public": {
        "heading": N_("Public reports of harassment by ward"),
        "lead": N_(
            "How many reports people made to NTE Safe about harassment in each ward, in a month, a quarter "
            "or a year. Police-recorded crime is a different source: it is shown on its own, never added in."
        ),
        "layer": N_("Public reports by ward"),
        "legend": N_("Public reports in the ward (published figures)"),
    },
    "police": {
        "heading": N_("Police-recorded crime by ward"),
        "lead": N_(
            "How many crimes the police recorded in each ward, in a month, a quarter or a year, from police.uk. "
            "These are not reports made to NTE Safe: those are shown on their own, never added in."
        ),
        "layer": N_("Police-recorded crime by ward"),
        "legend": N_("Police-recorded crimes in the ward (published figures)"),
    },
}
# Messages from nte.maps.exceptions, marked here so the public catalogue has them.
N_("Choose one of the published periods in the list.")
N_("Choose public reports or police-recorded crime.")


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


def _public_href(source: str, keep: dict[str, str]) -> str:
    """The public map of a source (its opening period), in the same language."""
    params = ({} if source == public_service.DEFAULT_PUBLIC_SOURCE else {"source": source}) | keep
    return "/map" + ("?" + urlencode(params) if params else "")


def _public_context(
    request: Request, view: dict[str, Any], periods: list[Any], settings: Any, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    lang = request_language(request)
    trans = translations_for(lang)
    gettext, ngettext = trans.gettext, trans.ngettext
    threshold = settings.public_suppression_threshold
    source = view["source"]
    text = {k: gettext(v) for k, v in PUBLIC_SOURCE_TEXT[source].items()}
    keep_lang = {"lang": lang} if lang != "en" else {}
    urls = _layer_urls()
    layers = [
        {
            "name": text["layer"],
            "url": "/api/maps/public/wards.geojson?" + urlencode({"period": view["period"], "source": source}),
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
    stored = public_service.PUBLIC_SOURCES[source]
    shown_source = {
        "key": source,
        "heading": gettext(PUBLIC_SOURCE_NAMES[source]),
        "note": gettext(SOURCE_NOTES[stored]),
    }
    rows = [
        {
            "code": p["code"],
            "name": p["name"],
            "borough_name": p["borough_name"],
            "figure": figure_words(p, months=months, threshold=threshold, gettext=gettext, ngettext=ngettext),
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
        "source": shown_source,
        "source_text": text,
        "source_choices": [
            {
                "key": key,
                "name": gettext(PUBLIC_SOURCE_NAMES[key]),
                "href": _public_href(key, keep_lang),
                "current": key == source,
            }
            for key in public_service.PUBLIC_SOURCES
        ],
        "periods": [{"id": p.id, "name": period_name(p, lang=lang, gettext=gettext)} for p in periods],
        "period_name": period_name(shown, lang=lang, gettext=gettext) if shown else view["period_label"],
        "period_kind": shown.kind if shown else "month",
        "published_on": _long_date(date.fromisoformat(view["published_on"]), lang=lang),
        "layers": layers,
        "rows": rows,
        "legend": [
            {"colour": colour, "label": label}
            for (_lower, colour), label in zip(public_service.PUBLIC_CLASSES, legend_labels, strict=True)
        ],
        "errors": errors or {},
        "quick_exit": True,
        "threshold": threshold,
    }


COORDINATOR_PARAMS = ("area", "series", "from", "to", "hours", "cell_size")


def _coordinator_params(request: Request, areas: list[Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The coordinator map's query, read without a 422 body: (parsed values, every error by field,
    the values as typed, to keep them in the form)."""
    q = request.query_params
    typed = {key: (q.get(key) or "").strip()[:40] for key in COORDINATOR_PARAMS}
    errors: dict[str, str] = unknown_parameters(q.keys(), (*COORDINATOR_PARAMS, *PAGE_PARAMS))
    values: dict[str, Any] = {
        "area": None,
        "series": None,
        "from": None,
        "to": None,
        "all_hours": False,
        "cell_size": None,
    }
    for key in ("area", "series"):
        if typed[key]:
            if typed[key].isdigit() and int(typed[key]) >= 1:
                values[key] = int(typed[key])
            else:
                errors[key] = (
                    "Choose a patrol area from the list." if key == "area" else "Choose a shift series from the list."
                )
    if values["area"] is not None and all(a.id != values["area"] for a in areas):
        errors["area"] = "There is no such patrol area: choose one from the list."
    for key, label in (("from", "first"), ("to", "last")):
        if typed[key]:
            try:
                values[key] = date.fromisoformat(typed[key])
            except ValueError:
                errors[key] = f"Enter the {label} day as a date, for example 2026-11-30."
    if values["from"] and values["to"] and values["from"] > values["to"]:
        errors["to"] = "The last day is before the first day."
    if typed["hours"] not in ("", "shifts", "all"):
        errors["hours"] = "Choose the shifts' hours or all hours."
    values["all_hours"] = typed["hours"] == "all"
    try:
        values["cell_size"] = stats_service.validate_cell_size(typed["cell_size"] or None)
    except NTEError:
        errors["cell_size"] = "Enter a cell size between 50 and 5000 metres, or leave it empty."
    return values, errors, typed


@router.get("/coordinator/maps", response_class=HTMLResponse)
def coordinator_page(request: Request, session: SessionDep, user: StaffPage) -> HTMLResponse:
    """Opens with no query on the latest period that has data (see ``coordinator.opening_view``) and
    says which period the data covers; mistakes in the query are a page with plain errors (422) that
    keeps the other values, never a JSON body."""
    settings = get_settings()
    areas = coordinator_service.list_areas(session)
    values, errors, typed = _coordinator_params(request, areas)
    view, note = None, None
    area = values["area"] if "area" not in errors else None
    if area is None and areas and "area" not in errors:
        area = areas[0].id
    chosen = any(typed[key] for key in ("from", "to", "hours", "cell_size"))
    coverage = coordinator_service.data_coverage(session, settings=settings)
    covered = coverage_service.coverage(session, settings=settings, statuses=DEFAULT_STATUSES)
    if area is not None and not errors:
        try:
            if chosen:
                view = coordinator_service.coordinator_view(
                    session,
                    area_id=area,
                    series_id=values["series"],
                    settings=settings,
                    now=utcnow(),
                    date_from=values["from"],
                    date_to=values["to"],
                    all_hours=values["all_hours"],
                    cell_size=values["cell_size"],
                )
            elif coverage["first"] is not None:
                try:
                    view, note = coordinator_service.opening_view(
                        session, area_id=area, series_id=values["series"], settings=settings, now=utcnow()
                    )
                except NTEError as exc:
                    if exc.code != "hotspots_unavailable":
                        raise
                    # nothing was chosen, so there is nothing to correct: say why there is no map
                    note = f"{exc.detail} Choose a longer period or all hours."
        except NTEError as exc:
            if exc.status_code >= 500:
                raise
            errors[exc.field if exc.field in typed else "from"] = exc.detail
    layers = []
    if view:
        params: dict[str, Any] = {"area": area, **view["period"], "hours": "all" if view["all_hours"] else "shifts"}
        if values["series"]:
            params["series"] = values["series"]
        if values["cell_size"]:
            params["cell_size"] = f"{values['cell_size']:g}"
        query = urlencode(params)
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
    form = dict(typed)
    if view:
        form.update(
            {
                "from": view["period"]["from"],
                "to": view["period"]["to"],
                "hours": "all" if view["all_hours"] else "shifts",
            }
        )
    return render(
        request,
        "maps/coordinator.html",
        {
            "areas": areas,
            "area_id": area,
            "series_id": values["series"],
            "view": view,
            "note": note,
            "errors": errors,
            "form": form,
            "coverage": coverage,
            "covered": covered,
            "layers": layers,
            "unavailable": None,
            "coordinator_menu": user.role in ("coordinator", "admin"),
            **SOURCE_CONTEXT,
        },
        status_code=422 if errors else 200,
    )
