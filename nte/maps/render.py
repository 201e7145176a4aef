"""The maps renderer: plain data in, HTML out. The only module that imports Folium.

``standalone_html`` writes a self-contained Leaflet map (Folium) for download and the CLI: Leaflet's
JS and CSS (the copy vendored under ``nte/web/static/vendor/leaflet``) are inlined, its images become
data: URIs, and Folium's CDN defaults (jQuery, Bootstrap, Font Awesome, awesome-markers) are
dropped because nothing here uses them, so opening the file makes no request except to the
configured tile server (none when tiles are off). ``trend_svg`` draws the monthly trend chart as
inline SVG (no chart library).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from markupsafe import Markup

VENDOR = Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "leaflet"
#: Only for a standalone file: sandboxed, inline script allowed, nothing fetched but tiles.
STANDALONE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: {tiles}; sandbox allow-scripts"
)


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        path = VENDOR / match.group(1)
        if not path.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[A-Za-z0-9_\-.]+\.png)\)", inline, css)
    return js, css.replace("</", "<\\/")


def standalone_csp(tile_url: str | None) -> str:
    tiles = ""
    if tile_url:
        m = re.match(r"^(https?://[^/]+)", tile_url.replace("{s}", "*"))
        tiles = m.group(1) if m else ""
    return STANDALONE_CSP.format(tiles=tiles).replace("data: ;", "data:;")


def _bounds(collection: dict[str, Any]) -> list[list[float]] | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for feature in collection.get("features", []):
        if feature.get("geometry"):
            walk(feature["geometry"]["coordinates"])
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def _legend_html(
    title: str, items: Sequence[dict[str, str]], hot_items: Sequence[dict[str, Any]], notes: Sequence[str] = ()
) -> str:
    rows = "".join(
        f'<li><span style="background:{escape(i["colour"])}"></span>{escape(i["label"])}</li>' for i in items
    )
    hot = "".join(
        f'<li><span style="background:{escape(i["colour"])}"></span>{escape(i["label"])}</li>' for i in hot_items
    )
    return (
        "<style>.nte-legend{position:absolute;bottom:24px;left:10px;z-index:1000;background:#fff;padding:8px 10px;"
        "font:13px/1.4 system-ui,sans-serif;border:1px solid #888;max-width:320px}.nte-legend ul{list-style:none;"
        "margin:0 0 6px;padding:0}.nte-legend span{display:inline-block;width:14px;height:14px;margin-right:6px;"
        "vertical-align:middle;border:1px solid #666}.nte-legend h2{font-size:14px;margin:0 0 4px}</style>"
        f'<div class="nte-legend"><h2>{escape(title)}</h2><ul>{rows}</ul>'
        + (f"<h2>Hotspots (Gi*, FDR)</h2><ul>{hot}</ul>" if hot else "")
        + "".join(f'<p class="nte-source">{escape(note)}</p>' for note in notes)
        + "</div>"
    )


def standalone_html(
    bundle: dict[str, Any],
    *,
    title: str,
    tile_url: str | None = None,
    tile_attribution: str = "",
    layers: Sequence[tuple[str, dict[str, Any], str]] = (),
) -> str:
    """A self-contained HTML map of an officer (or public) bundle.

    ``bundle`` holds ``wards`` (FeatureCollection whose properties carry ``fill``), ``legend``,
    optional ``hotspots`` (cells with ``fill``) and ``bins``, and what it counts: ``source`` (words)
    and ``source_attribution`` (police.uk's, when police records are counted), both under the legend.
    ``layers`` adds (name, FeatureCollection, colour) overlays such as venues, safe spaces and patrol areas.
    """
    import folium
    from folium.features import GeoJsonTooltip

    wards = bundle["wards"]
    bounds = _bounds(wards) or [[51.45, -0.25], [51.56, -0.05]]
    fmap = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=12,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    fmap.default_js = []
    fmap.default_css = []
    js, css = _leaflet_assets()
    root: Any = fmap.get_root()
    root.header.add_child(folium.Element(f"<title>{escape(title)}</title><style>{css}</style>"))
    safe_js = js.replace("</script", "<\\/script")
    root.header.add_child(folium.Element(f"<script>{safe_js}</script>"))
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution or "Map tiles", name="Base map").add_to(fmap)

    sample = wards["features"][0]["properties"] if wards.get("features") else {}
    fields = [
        f
        for f in (
            "name",
            "code",
            "borough_name",
            "source",
            "count",
            "shown",
            "rate_per_km2",
            "share_of_borough_pct",
            "rank_in_borough",
            "change",
        )
        if f in sample
    ]
    aliases = {
        "name": "Ward",
        "code": "Ward code",
        "borough_name": "Borough",
        "source": "Source",
        "count": "Reports",
        "shown": "Reports",
        "rate_per_km2": "Per km²",
        "share_of_borough_pct": "Share of borough %",
        "rank_in_borough": "Rank in borough",
        "change": "Change vs previous period",
    }
    folium.GeoJson(
        wards,
        name="Wards",
        style_function=lambda f: {
            "fillColor": f["properties"].get("fill", "#f2f2f2"),
            "color": "#555",
            "weight": 1,
            "fillOpacity": 0.7,
        },
        tooltip=GeoJsonTooltip(fields=fields, aliases=[aliases[f] for f in fields]) if fields else None,
    ).add_to(fmap)
    hotspots = bundle.get("hotspots")
    if hotspots and hotspots.get("features"):
        folium.GeoJson(
            hotspots,
            name="Hotspot cells (Gi*)",
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "color": f["properties"]["fill"],
                "weight": 0.5,
                "fillOpacity": 0.75,
            },
            tooltip=GeoJsonTooltip(fields=["label", "count", "z"], aliases=["Cell", "Reports", "z"]),
        ).add_to(fmap)
    for name, collection, colour in layers:
        if not collection.get("features"):
            continue
        folium.GeoJson(
            collection,
            name=name,
            style_function=lambda f, c=colour: {"color": c, "fillColor": c, "weight": 2, "fillOpacity": 0.15},
            marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9, color=colour),
        ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds(bounds)
    root.html.add_child(
        folium.Element(
            _legend_html(
                bundle.get("legend_title", "Reports per km²"),
                bundle.get("legend", []),
                bundle.get("bins", []) if hotspots else [],
                [
                    note
                    for note in (
                        f"Source: {bundle['source']}." if bundle.get("source") else None,
                        bundle.get("source_attribution"),
                    )
                    if note
                ],
            )
        )
    )
    html = root.render()
    return html


def trend_svg(
    months: Sequence[str], values: Sequence[int], *, title: str, width: int = 560, height: int = 170
) -> Markup:
    """An accessible bar chart of monthly counts as inline SVG."""
    n = max(len(values), 1)
    top = max(max(values, default=0), 1)
    left, bottom, right, head = 36, 28, 8, 10
    plot_w, plot_h = width - left - right, height - bottom - head
    bar = plot_w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="trend-title trend-desc">',
        f'<title id="trend-title">{escape(title)}</title>',
        '<desc id="trend-desc">'
        + escape(", ".join(f"{m}: {v}" for m, v in zip(months, values, strict=True)))
        + "</desc>",
        f'<line x1="{left}" y1="{head + plot_h}" x2="{width - right}" y2="{head + plot_h}" stroke="#333"/>',
        f'<text x="{left - 4}" y="{head + 4}" text-anchor="end" font-size="11" fill="#222">{top}</text>',
        f'<text x="{left - 4}" y="{head + plot_h}" text-anchor="end" font-size="11" fill="#222">0</text>',
    ]
    step = max(1, n // 12)
    for i, (month, value) in enumerate(zip(months, values, strict=True)):
        h = plot_h * value / top
        x = left + i * bar
        parts.append(
            f'<rect x="{x + bar * 0.15:.1f}" y="{head + plot_h - h:.1f}" width="{bar * 0.7:.1f}" '
            f'height="{h:.1f}" fill="#b30000"><title>{escape(month)}: {value}</title></rect>'
        )
        if i % step == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="10" '
                f'fill="#222">{escape(month[2:])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped
