"""The API documentation pages are served from this host: a browser that opens them loads nothing
from another host, and the documentation really renders (the operations are listed)."""

from __future__ import annotations

import pytest

from tests.test_access_matrix import OPERATIONS_TODAY

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_every_operation_from_this_host(page, live_server):
    page.goto(live_server.url + "/api/docs")
    page.locator(".opblock").first.wait_for()
    # Every documented operation is listed, so the whole document loaded and was read.
    assert page.locator(".opblock").count() >= OPERATIONS_TODAY
    assert page.get_by_text("/api/reports/receipts/{code}").count() >= 1
    loaded = page.request_log.urls  # type: ignore[attr-defined]
    assert any(url.endswith("/api/docs/assets/swagger-ui-bundle.js") for url in loaded), loaded
    assert any(url.endswith("/api/openapi.json") for url in loaded), loaded
    # (the ``page`` fixture fails the test if any request left the host)
