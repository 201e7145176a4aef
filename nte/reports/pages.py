"""Report pages: the public form, receipt and status pages, and the officers' moderation queue,
report detail, map, ward updates and import pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse

from nte.auth.deps import OFFICERS, CsrfProtected, public, require_page_roles
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, read_sessions_for, utcnow
from nte.errors import NotFound, NTEError
from nte.i18n import N_
from nte.london import london_today
from nte.places import service as places_service
from nte.reports import importer, service
from nte.reports import repository as repo
from nte.reports.deps import Filters, ReceiptLimited, SubmitBudget
from nte.reports.exceptions import ReportInvalid
from nte.reports.router import run_upload
from nte.reports.vocabulary import AGE_BANDS, CATEGORIES, FACTORS, GENDERS, TIME_BANDS, category_label
from nte.wards import service as ward_service
from nte.web.templating import render

router = APIRouter(include_in_schema=False)
OfficerPage = Annotated[User, Depends(require_page_roles(*OFFICERS))]
NO_STORE = {"Cache-Control": "no-store"}


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


NOTHING_TICKED = "Tick at least one report first, then choose what to do with the ticked reports."
NO_ORIGINAL = "Type the number of the original report (the one the ticked reports repeat) to mark them as duplicates."
BAD_ORIGINAL = "The original report's number is a whole number, like 1234."


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
    total = repo.count_reports(session, filters)
    pages = max(1, (total + 49) // 50)
    page = min(max(1, page), pages)
    reports = repo.list_reports(session, filters, limit=50, offset=(page - 1) * 50)
    message = request.query_params.get("done") if not errors else None
    return render(
        request,
        "reports/officer_queue.html",
        {
            **_officer_context(session, filters),
            "reports": reports,
            "ward_labels": _ward_labels(session),
            "total": total,
            "page": page,
            "pages": pages,
            "message": message[:200] if message else None,
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
        filters = repo.ReportFilters(status="new")
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
            "point": repo.point_of(session, report_id),
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


def _moderation_errors(ids: list[int], status: str, duplicate_of: str) -> tuple[dict[str, str], int | None]:
    """The mistakes the page itself can see: nothing ticked, and a duplicate without its original."""
    errors: dict[str, str] = {}
    if not ids:
        errors["ids"] = NOTHING_TICKED
    dup = None
    text = duplicate_of.strip().lstrip("#").strip()
    if status == "duplicate":
        if not text:
            errors["duplicate_of"] = NO_ORIGINAL
        elif not text.isdigit() or len(text) > 12:
            errors["duplicate_of"] = BAD_ORIGINAL
        else:
            dup = int(text)
            if dup in ids:
                errors["duplicate_of"] = (
                    f"Report {dup} is one of the ticked reports: the original must be a report you have not ticked."
                )
    return errors, dup


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
    errors, dup = _moderation_errors(ids, status, duplicate_of)
    result = None
    if not errors:
        try:
            result = service.moderate(
                session,
                ids=ids,
                status=status,
                actor=user,
                now=utcnow(),
                expected_status=expected_status or None,
                duplicate_of=dup if status == "duplicate" else None,
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
    sep = "&" if "?" in target else "?"
    note = f"{len(result.changed)} marked {status}" + (f", {len(result.skipped)} skipped" if result.skipped else "")
    from urllib.parse import quote

    return RedirectResponse(f"{target}{sep}done={quote(note)}", status_code=303)


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
def export_csv(request: Request, user: OfficerPage, filters: Filters) -> StreamingResponse:
    return StreamingResponse(
        service.export_csv(read_sessions_for(request), filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="reports.csv"', **NO_STORE},
    )


@router.get("/officer/reports/export.geojson")
def export_geojson(request: Request, user: OfficerPage, filters: Filters) -> StreamingResponse:
    return StreamingResponse(
        service.export_geojson(read_sessions_for(request), filters=filters),
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="reports.geojson"', **NO_STORE},
    )


@router.get("/officer/reports/updates", response_class=HTMLResponse)
def updates(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    return render(
        request,
        "reports/officer_updates.html",
        {
            "updates": service.list_ward_updates(session),
            "wards_by_borough": _wards_by_borough(session),
            "errors": {},
            "values": {},
        },
    )


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
        return render(
            request,
            "reports/officer_updates.html",
            {
                "updates": service.list_ward_updates(session),
                "wards_by_borough": _wards_by_borough(session),
                "errors": exc.errors,
                "values": {"ward": ward, "title": title, "body": body},
            },
            status_code=422,
        )
    return RedirectResponse("/officer/reports/updates", status_code=303)


@router.post("/officer/reports/updates/{update_id:int}/delete", dependencies=[CsrfProtected])
def delete_update(update_id: int, session: SessionDep, user: OfficerPage) -> Response:
    service.delete_ward_update(session, update_id=update_id, actor=user, now=utcnow())
    return RedirectResponse("/officer/reports/updates", status_code=303)


@router.get("/officer/reports/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    return render(
        request,
        "reports/officer_import.html",
        {
            "errors": {},
            "summary": None,
            "row_errors": [],
            "imports": repo.recent_imports(session),
            "reasons": importer.REASONS,
        },
    )


@router.post("/officer/reports/import", response_class=HTMLResponse, dependencies=[CsrfProtected])
def import_upload(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    file: Annotated[UploadFile | None, File()] = None,
    file_format: Annotated[str, Form()] = "auto",
    encoding: Annotated[str, Form()] = "utf-8",
) -> HTMLResponse:
    context: dict[str, Any] = {"errors": {}, "summary": None, "row_errors": [], "reasons": importer.REASONS}
    if file is None or not file.filename:
        context["errors"] = {"file": "Choose a file to import."}
        return render(
            request,
            "reports/officer_import.html",
            {**context, "imports": repo.recent_imports(session)},
            status_code=422,
        )
    try:
        summary, row_errors = run_upload(
            session, user=user, file=file, file_format=file_format[:12], encoding=encoding[:20]
        )
    except NTEError as exc:
        context["errors"] = {exc.field or "file": exc.detail}
        return render(
            request,
            "reports/officer_import.html",
            {**context, "imports": repo.recent_imports(session)},
            status_code=exc.status_code,
        )
    return render(
        request,
        "reports/officer_import.html",
        {**context, "summary": summary, "row_errors": row_errors[:50], "imports": repo.recent_imports(session)},
    )


@router.get("/officer/reports/imports/{import_id:int}/errors.csv")
def import_errors(import_id: int, session: SessionDep, user: OfficerPage) -> FileResponse:
    path = get_settings().upload_dir / "report-imports" / f"{import_id}-errors.csv"
    if repo.get_import(session, import_id) is None or not path.exists():
        raise NotFound("There is no error file for this import.", field="import_id")
    return FileResponse(
        path, media_type="text/csv; charset=utf-8", filename=f"import-{import_id}-errors.csv", headers=NO_STORE
    )
