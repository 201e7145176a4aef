"""Following an /ogc items answer's ``next`` links to the end, as a GIS client does."""

from __future__ import annotations

from typing import Any


def all_pages(client: Any, url: str, headers: dict[str, str] | None = None, **params: Any) -> tuple[list, int, int]:
    """Every feature of every page, the first page's ``numberMatched`` and how many pages there were.
    Each page must be a 200 whose ``numberReturned`` is the features it holds."""
    features: list = []
    pages = 0
    r = client.get(url, params=params, headers=headers)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        features += body["features"]
        assert body["numberReturned"] == len(body["features"])
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            return features, body["numberMatched"], pages
        r = client.get(nxt[0], headers=headers)
