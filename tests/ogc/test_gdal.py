"""GDAL's OAPIF driver (Debian 12: gdal-bin 3.6.2, ``ogrinfo``/``ogr2ogr``) against a live /ogc,
on both databases: what a GIS analyst's scripts (and QGIS, built on GDAL) see.

What GDAL 3.6.2 asks for (read from its CPL_DEBUG log, "HTTP: Fetch(...)", checked below):
- opening ``OAPIF:<root>``: only ``<root>/collections`` (Accept: application/json); never the
  landing page or the conformance classes. Listing the layers (``ogrinfo -so``) then reads one page
  of each, from its ``items`` link, with ``&limit=10`` (its default page size; PAGE_SIZE changes it).
- a layer's fields and count: that first page; numberMatched is the feature count; the extent is
  the collection's (without one it pages through everything, ``next`` links, to compute it).
- ``-where``: the landing page, then its ``service-desc`` (``/ogc/api``); a ``field = 'value'`` on
  a field the API lists as a query parameter of the items path (our queryables) is sent as
  ``?field=value``. CQL it sends only as ``filter-lang=cql-text`` (the pre-CQL2 name) when the
  API's filter-lang enum says ``cql-text``, which ours does not (it says cql2-text, cql2-json), so
  anything else is filtered on the client.
- ``-spat``: ``bbox=minx,miny,maxx,maxy`` (CRS84).
- A bearer token reaches the server through ``GDAL_HTTP_HEADERS``, beside GDAL's own Accept."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.ogc.live import OgcServer, assert_public_collections_have_features, ogc_server  # noqa: F401
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"
OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"
#: Only a hung server reaches it.
RUN_TIMEOUT_S = 300
FETCH = re.compile(r"HTTP: Fetch\((?P<url>[^)]*)\)")
WESTMINSTER = "E09000033"


@pytest.fixture(scope="module", autouse=True)
def _gdal_installed() -> None:
    if not os.path.exists(OGRINFO):
        pytest.fail("ogrinfo is missing: run scripts/bootstrap.sh test (it installs gdal-bin)")


def gdal(*args: str, headers: str | None = None) -> tuple[str, list[str]]:
    """Run a GDAL tool; returns its output and every URL it fetched, in order."""
    env = {
        **os.environ,
        "CPL_DEBUG": "ON",
        "GDAL_HTTP_TIMEOUT": "60",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    env.pop("GDAL_HTTP_HEADERS", None)
    if headers:
        env["GDAL_HTTP_HEADERS"] = headers
    done = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{output[-4000:]}"
    assert "ERROR" not in done.stderr, output[-4000:]
    return output, [m["url"] for m in FETCH.finditer(done.stderr)]


def _paths(urls: list[str]) -> list[str]:
    return [urlsplit(u).path for u in urls]


def _number_matched(server: OgcServer, cid: str, token: str | None = None, **params: str) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.get(f"{server.ogc}/collections/{cid}/items", params={"limit": 1, **params}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return int(r.json()["numberMatched"])


def _feature_count(output: str) -> int:
    found = re.search(r"^Feature Count: (\d+)$", output, re.M)
    assert found, output[-3000:]
    return int(found[1])


def _access_log_paths(server: OgcServer) -> list[str]:
    """The paths in the server's access log (it records no query string, by design)."""
    out = []
    for line in list(server.app.lines):
        m = re.search(r"nte\.access: GET (\S+) (\d{3}) ", line)
        if m:
            out.append(m[1])
    return out


def test_ogrinfo_lists_the_public_collections(ogc_server: OgcServer) -> None:  # noqa: F811
    public = assert_public_collections_have_features(ogc_server)
    output, urls = gdal(OGRINFO, "-ro", "-so", f"OAPIF:{ogc_server.ogc}")
    layers = re.findall(r"^\d+: (\S+)", output, re.M)
    assert sorted(layers) == sorted(public), output
    # The collections, then one short page of each (the geometry type the listing shows).
    assert _paths(urls) == ["/ogc/collections", *(f"/ogc/collections/{c}/items" for c in layers)], urls
    assert all(parse_qs(urlsplit(u).query) == {"f": ["json"], "limit": ["10"]} for u in urls[1:]), urls


def test_ogrinfo_layer_summary_counts_from_number_matched(ogc_server: OgcServer) -> None:  # noqa: F811
    output, urls = gdal(OGRINFO, "-ro", "-so", f"OAPIF:{ogc_server.ogc}", "wards-2022-05")
    assert _feature_count(output) == _number_matched(ogc_server, "wards-2022-05") > 0
    assert "Geometry: Multi Polygon" in output, output
    for field in ("code", "name", "borough_code", "borough_name"):
        assert re.search(rf"^{field}: String", output, re.M), (field, output)
    # The items link of the collection (?f=json), with its page size, for the fields; the extent
    # from the collection's extent, or, when it gives none, from every page (its next links).
    items = [u for u in urls if urlsplit(u).path == "/ogc/collections/wards-2022-05/items"]
    assert items and parse_qs(urlsplit(items[0]).query) == {"f": ["json"], "limit": ["10"]}, urls
    extent = re.search(r"^Extent: \((\S+), (\S+)\) - \((\S+), (\S+)\)$", output, re.M)
    assert extent, output
    described = httpx.get(f"{ogc_server.ogc}/collections/wards-2022-05", timeout=30).json()
    if "extent" in described:
        bbox = described["extent"]["spatial"]["bbox"][0]
        assert [float(v) for v in extent.groups()] == pytest.approx(bbox, abs=1e-6), (output, bbox)
        assert len(items) == 1, urls
    else:
        assert len(items) >= _number_matched(ogc_server, "wards-2022-05") // 10, urls


def test_where_on_a_queryable_is_sent_to_the_server(ogc_server: OgcServer) -> None:  # noqa: F811
    expected = _number_matched(ogc_server, "wards-2022-05", borough_code=WESTMINSTER)
    assert 0 < expected < _number_matched(ogc_server, "wards-2022-05")
    output, urls = gdal(
        OGRINFO, "-ro", "-q", f"OAPIF:{ogc_server.ogc}", "wards-2022-05", "-where", f"borough_code = '{WESTMINSTER}'"
    )
    # GDAL read the API definition to learn the items' query parameters, then sent the filter.
    assert "/ogc/api" in _paths(urls), urls
    filtered = [u for u in urls if parse_qs(urlsplit(u).query).get("borough_code") == [WESTMINSTER]]
    assert filtered, urls
    assert "evaluated on client side" not in output, output
    features = re.findall(r"^OGRFeature\(wards-2022-05\):\d+$", output, re.M)
    assert len(features) == expected, (len(features), expected)
    assert set(re.findall(r"^  borough_code \(String\) = (\S+)$", output, re.M)) == {WESTMINSTER}
    # The server answered those requests (its access log records paths only, never the query).
    wait_for(
        lambda: _access_log_paths(ogc_server).count("/ogc/collections/wards-2022-05/items") >= len(filtered) or None,
        what="the filtered requests in the server's access log",
    )


def test_spatial_filter_is_sent_as_bbox(ogc_server: OgcServer) -> None:  # noqa: F811
    box = ("-0.14", "51.51", "-0.13", "51.52")  # Soho
    expected = _number_matched(ogc_server, "wards-2022-05", bbox=",".join(box))
    assert 0 < expected < _number_matched(ogc_server, "wards-2022-05")
    output, urls = gdal(OGRINFO, "-ro", "-q", f"OAPIF:{ogc_server.ogc}", "wards-2022-05", "-spat", *box)
    bboxes = [parse_qs(urlsplit(u).query).get("bbox") for u in urls if "bbox=" in u]
    assert bboxes and all(b and [float(v) for v in b[0].split(",")] == [float(v) for v in box] for b in bboxes), urls
    assert len(re.findall(r"^OGRFeature\(wards-2022-05\):\d+$", output, re.M)) == expected


def test_ogr2ogr_pages_through_a_whole_collection(ogc_server: OgcServer, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "wards.geojson"
    matched = _number_matched(ogc_server, "wards-2022-05")
    _, urls = gdal(OGR2OGR, "-f", "GeoJSON", str(out), f"OAPIF:{ogc_server.ogc}", "wards-2022-05")
    written = json.loads(out.read_text())
    assert len(written["features"]) == matched > 10
    codes = [f["properties"]["code"] for f in written["features"]]
    assert len(set(codes)) == matched, "a feature came twice (or a page was skipped)"
    pages = [u for u in urls if urlsplit(u).path == "/ogc/collections/wards-2022-05/items"]
    assert sum("cursor=" in u for u in pages) >= matched // 10 - 1, pages  # it followed the next links


def test_officer_collection_through_a_bearer_token(ogc_server: OgcServer) -> None:  # noqa: F811
    anonymous, _ = gdal(OGRINFO, "-ro", "-so", f"OAPIF:{ogc_server.ogc}")
    assert not re.search(r"^\d+: reports\b", anonymous, re.M), anonymous
    token = ogc_server.officer_token
    matched = _number_matched(ogc_server, "reports", token=token)
    assert matched > 0
    auth = f"Authorization: Bearer {token}"
    listed, _ = gdal(OGRINFO, "-ro", "-so", f"OAPIF:{ogc_server.ogc}", headers=auth)
    assert re.search(r"^\d+: reports\b", listed, re.M), listed
    summary, _ = gdal(OGRINFO, "-ro", "-so", f"OAPIF:{ogc_server.ogc}", "reports", headers=auth)
    assert _feature_count(summary) == matched
    assert token not in summary  # GDAL's debug log does not echo the header
