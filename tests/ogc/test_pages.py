"""/ogc as HTML (OGC API - Features /conf/html) on both databases: every resource renders as a page
of the site in every state (features, the empty answer, the next page, a 404 feature, a 400, a 401,
a 403), never a raw JSON body, and keeps the reader's language on every internal link."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from nte.web.i18n import LANGUAGES
from tests.factories import bearer, make_map_report, make_user
from tests.support.links import InternalLinks

HTML = {"accept": "text/html"}
SOHO = (-0.1337, 51.5136)
OTHER_LANGUAGES = [code for code in LANGUAGES if code != "en"]
WARDS = "/ogc/collections/wards-2022-05"


def _seed(db, n=5):
    return [
        make_map_report(
            db,
            lon=SOHO[0] + i * 0.0004,
            lat=SOHO[1],
            occurred_at=datetime(2026, 10, 2 + i, 22, 30, tzinfo=UTC),
            main_category="followed",
        )
        for i in range(n)
    ]


def _page(client, path, status=200, **kw):
    r = client.get(path, **{"headers": HTML, **kw})
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html"), (path, r.headers["content-type"])
    assert "<main" in r.text
    return r.text


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _first_ward(client) -> str:
    features = client.get(f"{WARDS}/items", params={"limit": 1}).json()["features"]
    assert features, "the test database has no wards"
    return features[0]["id"]


def test_every_resource_is_a_page_with_its_parts(client, db):
    ward = _first_ward(client)
    landing = _page(client, "/ogc")  # the Accept header alone chooses HTML
    assert "ogc-address" in landing and "http" in landing and "Bearer" in landing
    assert 'href="/ogc/collections?f=html"' in landing and 'href="/ogc/api.html"' in landing
    collections = _page(client, "/ogc/collections?f=html")
    assert "wards-2022-05" in collections and "Everyone" in collections
    assert "reports" not in re.findall(r"<code translate=\"no\">([\w-]+)</code>", collections)
    one = _page(client, f"{WARDS}?f=html")
    for part in ("Extent", "Coordinate reference systems", "EPSG/0/27700", "Attribution", 'href="/map"'):
        assert part in one, part
    queryables = _page(client, f"{WARDS}/queryables?f=html")
    assert "borough_name" in queryables and "Allowed values" in queryables
    items = _page(client, f"{WARDS}/items?f=html&limit=10")
    assert re.search(r"Showing 1–10 of [\d,]+ features", _text(items)), _text(items)[:2000]
    assert 'rel="next"' in items and f"/items/{ward}?f=html" in items
    feature = _page(client, f"{WARDS}/items/{ward}?f=html")
    assert "borough_name" in feature and "Back to the features" in feature
    api = _page(client, "/ogc/api.html")
    assert "/ogc/collections/wards-2022-05/items" in api and "filter-lang" in api and "10000" in api
    conformance = _page(client, "/ogc/conformance?f=html")
    assert "conf/html" in conformance


def test_items_page_two_counts_on_and_dates_read_in_london_time(client, db):
    made = _seed(db)
    h = {**HTML, **bearer(db, make_user(db, role="officer"))}
    first = client.get("/ogc/collections/reports/items", params={"f": "html", "limit": 2}, headers=h)
    assert first.status_code == 200
    assert "Showing 1–2 of 5 features" in _text(first.text)
    assert "2 Oct 2026, 23:30" in first.text  # 22:30 UTC in British Summer Time
    nxt = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(nxt, headers=h)
    assert second.status_code == 200 and "Showing 3–4 of 5 features" in _text(second.text)
    assert "First page" in second.text
    last = client.get(re.search(r'rel="next" href="([^"]+)"', second.text).group(1).replace("&amp;", "&"), headers=h)
    assert "Showing 5–5 of 5 features" in _text(last.text) and 'rel="next"' not in last.text
    ids = re.findall(r"/ogc/collections/reports/items/(\d+)\?f=html", first.text + second.text + last.text)
    assert sorted(set(map(int, ids))) == sorted(r.id for r in made)


def test_the_filter_in_force_is_shown_and_an_empty_answer_says_so(client):
    filtered = _page(client, f"{WARDS}/items", params={"f": "html", "filter": "name = 'Soho'"})
    assert "Filter in force" in filtered and "name = &#39;Soho&#39;" in filtered
    empty = _page(client, f"{WARDS}/items", params={"f": "html", "filter": "name = 'No such ward anywhere'"})
    text = _text(empty)
    assert "No features match." in text and "Show every feature (remove the filter)" in text
    assert 'rel="next"' not in empty and "<table" not in empty


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        (f"{WARDS}/items", {"filter": "nmae = 'Soho'"}, 400, "filter"),
        (f"{WARDS}/items", {"limit": "lots"}, 400, "limit"),
        (f"{WARDS}/items", {"fliter": "x"}, 400, "fliter"),
        (f"{WARDS}/items/NO-SUCH-WARD", {}, 404, "There is no feature with this identifier"),
        ("/ogc/collections/no-such-thing", {}, 404, "There is no collection with this name"),
        ("/ogc/collections/no-such-thing/items", {}, 404, "There is no collection with this name"),
        ("/ogc/no/such/page", {}, 404, "There is nothing at this address"),
        ("/ogc/collections/reports/items", {}, 401, "Sign in"),
    ],
)
def test_a_browser_gets_the_error_page_with_a_way_back(client, path, params, status, says):
    page = _page(client, path, status=status, params=params)
    assert 'id="ogc-way-back"' in page and 'href="/ogc/collections?f=html"' in page
    assert says in page, _text(page)[:1500]
    if status == 400:
        assert f'<code translate="no">{says}</code>' in page  # the parameter named
        assert f'href="{WARDS}/items?f=html"' in page  # and the features without it
    if status == 401:
        assert 'href="/login?next=/ogc/collections/reports/items"' in page


def test_a_403_is_a_page_and_f_json_keeps_errors_json(client, db):
    volunteer = bearer(db, make_user(db, role="volunteer"))
    page = _page(client, "/ogc/collections/reports/items", status=403, headers={**HTML, **volunteer})
    assert "Your role may not see this collection." in page
    # A browser that asks for JSON by the address gets JSON, errors included.
    r = client.get(f"{WARDS}/items", params={"f": "json", "limit": "lots"}, headers=HTML)
    assert r.status_code == 400 and r.json()["field"] == "limit"
    # And a client that sends no Accept header but f=html gets the page.
    r = client.get(f"{WARDS}/items", params={"f": "html", "limit": "lots"}, headers={"accept": "*/*"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_internal_link_keeps_the_language(client, lang):
    ward = _first_ward(client)
    paths = [
        "/ogc",
        "/ogc/collections",
        "/ogc/conformance",
        "/ogc/api.html",
        WARDS,
        f"{WARDS}/queryables",
        f"{WARDS}/items?limit=3",
        f"{WARDS}/items/{ward}",
        f"{WARDS}/items?filter=nmae%3D1",
    ]
    links, dropped = 0, []
    for path in paths:
        r = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}", headers=HTML)
        assert r.status_code in (200, 400), (path, r.status_code)
        assert f'lang="{lang}"' in r.text
        parser = InternalLinks()
        parser.feed(r.text)
        links += len(parser.links)
        dropped += [f"{path}: {link}" for link in parser.links if f"lang={lang}" not in link]
    assert links >= 12 * len(paths), f"only {links} internal links found"
    assert not dropped, f"links that drop ?lang={lang}:\n" + "\n".join(dropped)


def test_a_page_cached_in_one_language_never_answers_another(client):
    ward = _first_ward(client)
    path = f"{WARDS}/items/{ward}"
    english = client.get(path, headers=HTML)
    arabic = client.get(path, headers={**HTML, "accept-language": "ar"})
    assert 'lang="ar"' in arabic.text and 'lang="en"' in english.text
    assert english.headers["etag"] != arabic.headers["etag"]
    assert "Accept-Language" in arabic.headers["vary"]
    again = client.get(path, headers={**HTML, "accept-language": "ar", "if-none-match": english.headers["etag"]})
    assert again.status_code == 200 and 'lang="ar"' in again.text
    same = client.get(path, headers={**HTML, "accept-language": "ar", "if-none-match": arabic.headers["etag"]})
    assert same.status_code == 304


def test_a_page_reached_from_a_json_next_link_counts_without_a_range(client):
    body = client.get(f"{WARDS}/items", params={"limit": 3}).json()
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    path = "/ogc" + nxt.replace("f=json", "f=html").split("/ogc", 1)[1]  # the link is absolute: its path
    html = _page(client, path)
    assert re.search(r"Showing 3 of [\d,]+ features", _text(html)), _text(html)[:1500]
    assert "First page" in html


def test_a_collection_page_states_its_extent_in_words(client, db):
    wards = _text(_page(client, f"{WARDS}?f=html"))
    box = re.search(r"West (-?[\d.]+), south ([\d.]+), east (-?[\d.]+), north ([\d.]+) \(degrees, WGS 84\)", wards)
    assert box, wards[:2000]
    west, south, east, north = map(float, box.groups())
    assert -0.6 < west < east < 0.4 and 51.2 < south < north < 51.8  # London
    _seed(db, n=3)
    h = {**HTML, **bearer(db, make_user(db, role="officer"))}
    reports = _text(_page(client, "/ogc/collections/reports?f=html", headers=h))
    assert re.search(r"From \d+ Oct 2026 to \d+ Oct 2026", reports), reports[:2500]
