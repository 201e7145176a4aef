"""Report pages: the public form, receipt and status pages, and the officers' moderation queue,
report detail, map, ward updates and import pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nte.auth.deps import CsrfProtected, OfficerPage, public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import FieldErrors, NTEError
from nte.i18n import N_
from nte.london import london_today
from nte.places import service as places_service
from nte.reports import service
from nte.reports.deps import Filters, ReceiptLimited, SubmitBudget, export_download
from nte.reports.exceptions import ReportInvalid
from nte.reports.vocabulary import AGE_BANDS, CATEGORIES, FACTORS, GENDERS, TIME_BANDS, category_label
from nte.wards import service as ward_service
from nte.web.downloads import download
from nte.web.flash import FlashMessages
from nte.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
#: What the officers' pages say after a moderation (officer pages are in English).
FLASH = FlashMessages(
    {
        "reports.moderated": "%(changed)s marked %(status)s",
        "reports.moderated_some_skipped": "%(changed)s marked %(status)s, %(skipped)s skipped",
    }
)


def _wards_by_borough(session) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for ward in ward_service.served_wards(session, settings=get_settings()):
        groups.setdefault(ward.borough_name, []).append(ward)
    return [(name, sorted(wards, key=lambda w: w.name)) for name, wards in sorted(groups.items())]


_PLACE_NOT_FOUND = N_("No place found: check the postcode, or try a street name.")
_PIN_UNREADABLE = N_("We could not read where the pin is. Put the pin on the map again, or choose the ward.")
_PLACE_TOO_SHORT = N_("Type at least 2 characters: a postcode, street or place name.")


def _form_context(session, values: dict, errors: dict, *, now: datetime | None = None) -> dict:
    today = london_today(now or utcnow())  # the date picker's "today" is London's, not UTC's
    area = ward_service.service_area(session, settings=get_settings())
    minx, miny, maxx, maxy = area.bounds
    return {
        "quick_exit": True,
        "values": values,
        "errors": errors,
        "wards_by_borough": _wards_by_borough(session),
        "categories": CATEGORIES,
        "factors": FACTORS,
        "time_bands": {k: v[1] for k, v in TIME_BANDS.items()},
        "age_bands": AGE_BANDS,
        "genders": GENDERS,
        "max_date": today.isoformat(),
        "min_date": (today - timedelta(days=2 * 366)).isoformat(),
        "max_description": service.MAX_DESCRIPTION,
        "bounds": f"{miny:.5f},{minx:.5f},{maxy:.5f},{maxx:.5f}",
        "found_place": None,
    }


@router.get("/report", response_class=HTMLResponse, dependencies=[Depends(public)])
def report_form(request: Request, session: SessionDep) -> HTMLResponse:
    context = _form_context(session, {}, {})
    context["sent"] = request.query_params.get("sent") == "1"
    return render(request, "reports/form.html", context)


@router.post("/report", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected])
def report_submit(
    request: Request,
    session: SessionDep,
    spend: SubmitBudget,
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    ward: Annotated[str, Form()] = "",
    date: Annotated[str, Form()] = "",
    time: Annotated[str, Form()] = "",
    time_band: Annotated[str, Form()] = "",
    approximate: Annotated[str, Form()] = "",
    categories: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    factors: Annotated[list[str], Form()] = [],  # noqa: B006
    description: Annotated[str, Form()] = "",
    age_band: Annotated[str, Form()] = "",
    gender: Annotated[str, Form()] = "",
    place: Annotated[str, Form(max_length=80)] = "",
    place_find: Annotated[str, Form(max_length=1)] = "",
) -> HTMLResponse:
    if place_find:
        # "Find" without JavaScript: the place's point becomes the report's location, and the form
        # comes back with everything else kept (nothing is sent, nothing counts toward the limit).
        values = {
            "lat": lat,
            "lon": lon,
            "ward": ward,
            "date": date,
            "time": time,
            "time_band": time_band,
            "approximate": bool(approximate),
            "description": description,
            "age_band": age_band,
            "gender": gender,
            "categories": list(categories),
            "factors": list(factors),
            "place": place,
        }
        typed = " ".join(place.split())
        found = places_service.resolve(session, q=typed, settings=get_settings()) if len(typed) >= 2 else None
        if found is None:
            message = _PLACE_NOT_FOUND if len(typed) >= 2 else _PLACE_TOO_SHORT
            context = _form_context(session, values, {"place": message})
            return render(request, "reports/form.html", context, status_code=422, headers=NO_STORE)
        values.update(lat=f"{found.lat:.6f}", lon=f"{found.lon:.6f}", ward="")
        context = _form_context(session, values, {})
        context["found_place"] = found
        return render(request, "reports/form.html", context, headers=NO_STORE)
    data = service.ReportInput(
        lat=lat or None,
        lon=lon or None,
        ward=ward,
        date=date,
        time=time or None,
        time_band=time_band or None,
        approximate=bool(approximate),
        categories=categories,
        factors=factors,
        description=description,
        age_band=age_band,
        gender=gender,
    )
    try:
        done = service.submit_report(session, data=data, settings=get_settings(), now=utcnow(), spend=spend)
    except ReportInvalid as exc:
        values = {**data.__dict__, "categories": list(categories), "factors": list(factors)}
        # The pin's hidden fields only go wrong when the page was tampered with or its script broke:
        # say so in words the catalogue translates, not "lon must be a number".
        errors = {f: (_PIN_UNREADABLE if f in ("lat", "lon") else m) for f, m in exc.errors.items()}
        if "lat" in errors and "lon" in errors:
            del errors["lon"]  # one pin, one message
        return render(
            request, "reports/form.html", _form_context(session, values, errors), status_code=422, headers=NO_STORE
        )
    return render(
        request,
        "reports/receipt.html",
        {"quick_exit": True, "code": done.receipt_code, "ward": done.ward, "precision": done.report.location_precision},
        headers=NO_STORE,
    )


@router.get("/report/status", response_class=HTMLResponse, dependencies=[Depends(public)])
def status_form(request: Request) -> HTMLResponse:
    return render(request, "reports/status.html", {"quick_exit": True, "errors": {}, "found": None, "code": ""})


@router.post(
    "/report/status", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected, ReceiptLimited]
)
def status_lookup(request: Request, session: SessionDep, receipt: Annotated[str, Form()] = "") -> HTMLResponse:
    try:
        found = service.status_by_receipt(session, code=receipt[:40])
    except NTEError as exc:
        return render(
            request,
            "reports/status.html",
            {"quick_exit": True, "errors": {"receipt": exc.detail}, "found": None, "code": receipt[:40]},
            status_code=exc.status_code,
            headers=NO_STORE,
        )
    return render(
        request, "reports/status.html", {"quick_exit": True, "errors": {}, "found": found, "code": ""}, headers=NO_STORE
    )


# --- officers -------------------------------------------------------------------------------------


def _ward_labels(session) -> dict[str, dict[str, str]]:
    """Each served ward's name and its borough's, by ward code: officers read "West End (E05000649)"."""
    return {
        w.code: {"name": w.name, "borough": w.borough_name}
        for w in ward_service.served_wards(session, settings=get_settings())
    }


def _officer_context(session, filters) -> dict:
    return {
        "filters": filters,
        "query": filters.as_query(),
        "wards_by_borough": _wards_by_borough(session),
        "categories": CATEGORIES,
        "category_label": category_label,
        "statuses": ("new", "accepted", "spam", "duplicate"),
    }


def _queue_page(
    request: Request,
    session,
    filters,
    page: int,
    *,
    errors: dict[str, str] | None = None,
    ticked: list[int] | None = None,
    duplicate_of: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    found = service.queue_page(session, filters=filters, page=page)
    return render(
        request,
        "reports/officer_queue.html",
        {
            **_officer_context(session, filters),
            "reports": found.reports,
            "ward_labels": _ward_labels(session),
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "message": FLASH.message(request) if not errors else None,
            "errors": errors or {},
            "ticked": set(ticked or ()),
            "duplicate_of": duplicate_of[:20],
        },
        status_code=status_code,
        headers=NO_STORE if errors else None,
    )


@router.get("/officer/reports", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, user: OfficerPage, filters: Filters, page: int = 1) -> HTMLResponse:
    if not any(filters.as_query().values()) and "status" not in request.query_params:
        filters = service.NEW_REPORTS
    return _queue_page(request, session, filters, page)


def _detail_page(
    request: Request,
    session,
    report_id: int,
    *,
    errors: dict[str, str] | None = None,
    duplicate_of: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    report = service.get_report(session, report_id=report_id)
    labels = _ward_labels(session)
    return render(
        request,
        "reports/officer_detail.html",
        {
            "report": report,
            "ward": labels.get(report.ward_code or ""),
            "point": service.report_point(session, report=report),
            "history": service.report_history(session, report_id=report_id),
            "category_label": category_label,
            "factors": FACTORS,
            "age_bands": AGE_BANDS,
            "genders": GENDERS,
            "errors": errors or {},
            "duplicate_of": duplicate_of[:20] or (str(report.duplicate_of_id) if report.duplicate_of_id else ""),
        },
        status_code=status_code,
        headers=NO_STORE if errors else None,
    )


@router.post("/officer/reports/moderate", dependencies=[CsrfProtected])
def moderate(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    filters: Filters,
    ids: Annotated[list[int], Form()] = [],  # noqa: B006
    status: Annotated[str, Form()] = "",
    expected_status: Annotated[str, Form()] = "",
    duplicate_of: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str, Form()] = "/officer/reports",
    page: int = 1,
) -> Response:
    """Moderate the ticked reports. A mistake (nothing ticked; a duplicate with no original, or an
    unknown one, or one of the ticked reports) re-shows the page it came from with the ticks, the
    filters and the page kept and the reason beside the field (422): never a dead end."""
    errors: dict[str, str] = {}
    dup: int | None = None
    result = None
    try:
        dup = service.moderation_original(ids, status, duplicate_of)
    except FieldErrors as exc:
        errors = dict(exc.errors)
    if not errors:
        try:
            result = service.moderate(
                session,
                ids=ids,
                status=status,
                actor=user,
                now=utcnow(),
                expected_status=expected_status or None,
                duplicate_of=dup,
            )
        except NTEError as exc:
            if exc.status_code >= 500:
                raise
            if exc.field == "duplicate_of":
                errors["duplicate_of"] = f"There is no report number {dup}: check the original report's number."
            else:
                errors["status" if exc.field == "status" else "ids"] = exc.detail
    target = back if back.startswith("/officer/reports") and "//" not in back else "/officer/reports"
    if errors or result is None:
        detail_id = target.removeprefix("/officer/reports/").split("?")[0]
        if detail_id.isdigit():
            return _detail_page(
                request, session, int(detail_id), errors=errors, duplicate_of=duplicate_of, status_code=422
            )
        return _queue_page(
            request, session, filters, page, errors=errors, ticked=ids, duplicate_of=duplicate_of, status_code=422
        )
    if result.skipped:
        return FLASH.redirect(
            target,
            "reports.moderated_some_skipped",
            changed=len(result.changed),
            status=status,
            skipped=len(result.skipped),
        )
    return FLASH.redirect(target, "reports.moderated", changed=len(result.changed), status=status)


@router.get("/officer/reports/{report_id:int}", response_class=HTMLResponse)
def detail(request: Request, report_id: int, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    return _detail_page(request, session, report_id)


@router.get("/officer/reports/map", response_class=HTMLResponse)
def officer_map(request: Request, session: SessionDep, user: OfficerPage, filters: Filters) -> HTMLResponse:
    from urllib.parse import urlencode

    return render(
        request,
        "reports/officer_map.html",
        {**_officer_context(session, filters), "points_url": "/api/reports/points?" + urlencode(filters.as_query())},
    )


@router.get("/officer/reports/export.csv")
def export_csv(request: Request, session: SessionDep, user: OfficerPage, filters: Filters) -> Response:
    return export_download(request, session, user, filters, kind="csv")


@router.get("/officer/reports/export.geojson")
def export_geojson(request: Request, session: SessionDep, user: OfficerPage, filters: Filters) -> Response:
    return export_download(request, session, user, filters, kind="geojson")


def _updates_page(
    request: Request,
    session: SessionDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reports/officer_updates.html",
        {
            "updates": service.list_ward_updates(session),
            "wards_by_borough": _wards_by_borough(session),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/officer/reports/updates", response_class=HTMLResponse)
def updates(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    return _updates_page(request, session)


@router.post("/officer/reports/updates", response_class=HTMLResponse, dependencies=[CsrfProtected])
def post_update(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    ward: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    try:
        service.post_ward_update(session, ward_code=ward, title=title, body=body, actor=user, now=utcnow())
    except ReportInvalid as exc:
        values = {"ward": ward, "title": title, "body": body}
        return _updates_page(request, session, errors=exc.errors, values=values, status_code=422)
    return RedirectResponse("/officer/reports/updates", status_code=303)


@router.post("/officer/reports/updates/{update_id:int}/delete", dependencies=[CsrfProtected])
def delete_update(update_id: int, session: SessionDep, user: OfficerPage) -> Response:
    service.delete_ward_update(session, update_id=update_id, actor=user, now=utcnow())
    return RedirectResponse("/officer/reports/updates", status_code=303)


def _import_page(
    request: Request,
    session: SessionDep,
    *,
    errors: dict[str, str] | None = None,
    summary: Any = None,
    row_errors: list[Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reports/officer_import.html",
        {
            "errors": errors or {},
            "summary": summary,
            "row_errors": (row_errors or [])[:50],
            "imports": service.recent_imports(session),
            "reasons": service.REASONS,
        },
        status_code=status_code,
    )


@router.get("/officer/reports/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    return _import_page(request, session)


@router.post("/officer/reports/import", response_class=HTMLResponse, dependencies=[CsrfProtected])
def import_upload(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    file: Annotated[UploadFile | None, File()] = None,
    file_format: Annotated[str, Form()] = "auto",
    encoding: Annotated[str, Form()] = "utf-8",
) -> HTMLResponse:
    if file is None or not file.filename:
        return _import_page(request, session, errors={"file": "Choose a file to import."}, status_code=422)
    try:
        summary, row_errors = service.import_upload(
            session,
            actor=user,
            stream=file.file,
            filename=file.filename,
            file_format=file_format,
            encoding=encoding,
            settings=get_settings(),
            now=utcnow(),
        )
    except NTEError as exc:
        return _import_page(request, session, errors={exc.field or "file": exc.detail}, status_code=exc.status_code)
    return _import_page(request, session, summary=summary, row_errors=row_errors)


@router.get("/officer/reports/imports/{import_id:int}/errors.csv")
def import_errors(import_id: int, session: SessionDep, user: OfficerPage) -> Response:
    """The lines an import rejected (line, reason, detail), as a download; audited."""
    path = service.import_error_file(session, import_id=import_id, settings=get_settings())
    return download(
        session,
        actor=user,
        kind="csv",
        content=service.read_chunks(path),
        filename=f"import-{import_id}-errors.csv",
        action="reports.export",
        target_type="report_import",
        target_id=import_id,
    )
