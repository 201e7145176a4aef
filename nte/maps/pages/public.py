"""The public ward map: one source at a time, published figures only, in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.i18n import N_
from nte.maps import public as public_service
from nte.maps.filters import PAGE_PARAMS, unknown_parameters
from nte.maps.pages.layers import EXAMPLE_VENUES_LAYER, layer_urls
from nte.web.i18n import LANGUAGES, PSEUDO_CODE, pseudo_text, translations_for
from nte.web.templating import render, request_gettext, request_language

router = APIRouter(include_in_schema=False)

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
    urls = layer_urls()
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
