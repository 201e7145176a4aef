"""JSON API for reports: anonymous submission and receipt look-up for partner apps (public),
and moderation, exports, officer map points, ward updates and imports (officers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from nte.auth.deps import OfficerApi, public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import ERROR_RESPONSES
from nte.reports import service
from nte.reports.deps import Filters, ReceiptLimited, SubmitBudget, export_download
from nte.reports.models import Report
from nte.reports.schemas import (
    ImportRead,
    ModerationRead,
    ModerationRequest,
    ReceiptStatusRead,
    ReportCreate,
    ReportPage,
    ReportRead,
    ReportReceipt,
    WardUpdateCreate,
    WardUpdateRead,
)
from nte.web.responses import CSV, GEOJSON, formats

router = APIRouter(prefix="/api/reports", tags=["reports"], responses=ERROR_RESPONSES)

BODY_LIMITS = {
    "/api/reports/imports": get_settings().max_upload_bytes,
    "/officer/reports/import": get_settings().max_upload_bytes,
}
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(public)],
    response_model=ReportReceipt,
    summary="Submit an anonymous report (partner apps)",
)
def submit(body: ReportCreate, session: SessionDep, spend: SubmitBudget) -> JSONResponse:
    """No account, no identity. The receipt code is returned once and only its hash is stored.
    The ward comes from the exact point; a point outside the service area is refused (422,
    ``outside_service_area``)."""
    done = service.submit_report(
        session, data=service.ReportInput(**body.model_dump()), settings=get_settings(), now=utcnow(), spend=spend
    )
    receipt = ReportReceipt(
        receipt_code=done.receipt_code,
        status=done.report.status,
        ward_code=done.ward.code,
        ward_name=done.ward.name,
        location_precision=done.report.location_precision,
    )  # type: ignore[arg-type]
    return JSONResponse(receipt.model_dump(), status_code=201, headers=NO_STORE)


@router.get(
    "/receipts/{code}",
    dependencies=[Depends(public), ReceiptLimited],
    response_model=ReceiptStatusRead,
    summary="A report's status and the ward's 'you said, we did' updates, by receipt code",
)
def receipt_status(code: str, session: SessionDep) -> JSONResponse:
    found = service.status_by_receipt(session, code=code[:40])
    body = ReceiptStatusRead(
        status=found.status,
        received_hour=found.received_hour,
        ward_code=found.ward_code,
        ward_name=found.ward_name,
        updates=[WardUpdateRead.model_validate(u) for u in found.updates],
    )
    return JSONResponse(body.model_dump(mode="json"), headers=NO_STORE)


def report_read(session: Session, report: Report) -> ReportRead:
    point = service.report_point(session, report=report)
    return ReportRead(
        id=report.id,
        source=report.source,
        status=report.status,
        occurred_at=report.occurred_at,
        time_precision=report.time_precision,
        time_band=report.time_band,
        received_hour=report.received_hour,
        location_precision=report.location_precision,
        lon=point[0] if point else None,
        lat=point[1] if point else None,
        ward_code=report.ward_code,
        borough_code=report.borough_code,
        main_category=report.main_category,
        categories=sorted(c.category for c in report.categories),
        factors=[f for f in (report.factors or "").split(",") if f],
        description=report.description,
        description_purged_at=report.description_purged_at,
        age_band=report.age_band,
        gender=report.gender,
        flagged_near_duplicate=report.flagged_near_duplicate,
        duplicate_of_id=report.duplicate_of_id,
        external_id=report.external_id,
    )


@router.get("", response_model=ReportPage, summary="Reports for moderation, filtered (officers)")
def list_reports(
    session: SessionDep, user: OfficerApi, filters: Filters, limit: int = 50, offset: int = 0
) -> ReportPage:
    total, items = service.list_reports(session, filters=filters, limit=limit, offset=offset)
    return ReportPage(total=total, items=[report_read(session, r) for r in items])


@router.get("/{report_id:int}", response_model=ReportRead, summary="One report with its exact point (officers)")
def get_report(report_id: int, session: SessionDep, user: OfficerApi) -> ReportRead:
    return report_read(session, service.get_report(session, report_id=report_id))


@router.post("/moderation", response_model=ModerationRead, summary="Accept, mark as spam or duplicate (bulk)")
def moderate(body: ModerationRequest, session: SessionDep, user: OfficerApi) -> ModerationRead:
    result = service.moderate(
        session,
        ids=body.ids,
        status=body.status,
        actor=user,
        now=utcnow(),
        expected_status=body.expected_status,
        duplicate_of=body.duplicate_of,
    )
    return ModerationRead(changed=result.changed, skipped=result.skipped)


@router.get("/export.csv", summary="CSV export of the filtered reports (officers)", responses=formats(CSV))
def export_csv(request: Request, session: SessionDep, user: OfficerApi, filters: Filters) -> Response:
    """Streamed; audited (``reports.export``) with the filter it was made with."""
    return export_download(request, session, user, filters, kind="csv")


@router.get("/export.geojson", summary="GeoJSON export of the filtered reports (officers)", responses=formats(GEOJSON))
def export_geojson(request: Request, session: SessionDep, user: OfficerApi, filters: Filters) -> Response:
    """Streamed; audited (``reports.export``) with the filter it was made with."""
    return export_download(request, session, user, filters, kind="geojson")


@router.get("/points", summary="Exact points of the filtered reports for the officers' map", responses=formats(GEOJSON))
def points(session: SessionDep, user: OfficerApi, filters: Filters) -> JSONResponse:
    return JSONResponse(
        service.map_points(session, filters=filters), media_type="application/geo+json", headers=NO_STORE
    )


@router.get("/ward-updates", response_model=list[WardUpdateRead], summary="'You said, we did' updates (officers)")
def list_updates(session: SessionDep, user: OfficerApi, ward: str | None = None) -> list[Any]:
    return [WardUpdateRead.model_validate(u) for u in service.list_ward_updates(session, ward_code=ward)]


@router.post("/ward-updates", status_code=201, response_model=WardUpdateRead, summary="Post a ward update")
def post_update(body: WardUpdateCreate, session: SessionDep, user: OfficerApi) -> WardUpdateRead:
    update = service.post_ward_update(
        session, ward_code=body.ward, title=body.title, body=body.body, actor=user, now=utcnow()
    )
    return WardUpdateRead.model_validate(update)


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportRead,
    summary="Import police.uk CSV (original or API columns), NTE CSV or GeoJSON",
)
def upload_import(
    session: SessionDep,
    user: OfficerApi,
    file: Annotated[UploadFile, File()],
    file_format: Annotated[str, Form(max_length=12)] = "auto",
    encoding: Annotated[str, Form(max_length=20)] = "utf-8",
) -> ImportRead:
    summary, errors = service.import_upload(
        session,
        actor=user,
        stream=file.file,
        filename=file.filename,
        file_format=file_format,
        encoding=encoding,
        settings=get_settings(),
        now=utcnow(),
    )
    return ImportRead(
        import_id=summary.import_id,
        file_format=summary.file_format,
        rows_read=summary.rows_read,
        inserted=summary.inserted,
        already_present=summary.already_present,
        rejected=dict(summary.rejected),
        errors=[{"line": e.line, "reason": service.REASONS[e.reason], "detail": e.detail} for e in errors[:200]],
    )
