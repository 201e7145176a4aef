"""The conformance classes /ogc declares. Each is declared because a test shows it holds: the
ogctests and GDAL runs (tests/ogc/test_ogctests.py, test_gdal.py), the QGIS replay
(tests/ogc/test_qgis_requests.py) and tests/ogc/test_filter.py for each CQL2 class (the answers equal what
Shapely and Python select from the same features, in SQL and in Python). QGIS pushes a
filter to the server only when basic-cql2, cql2-text, filter and features-filter are all here."""

from __future__ import annotations

_F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
_F2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf"
_F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"

CORE = f"{_F1}/core"
GEOJSON = f"{_F1}/geojson"
HTML = f"{_F1}/html"
OAS30 = f"{_F1}/oas30"
CRS = f"{_F2}/crs"
QUERYABLES = f"{_F3}/queryables"
QUERYABLES_QUERY_PARAMETERS = f"{_F3}/queryables-query-parameters"
FILTER = f"{_F3}/filter"
FEATURES_FILTER = f"{_F3}/features-filter"
CQL2_TEXT = f"{_CQL2}/cql2-text"
CQL2_JSON = f"{_CQL2}/cql2-json"
BASIC_CQL2 = f"{_CQL2}/basic-cql2"
ADVANCED_COMPARISON = f"{_CQL2}/advanced-comparison-operators"
BASIC_SPATIAL_FUNCTIONS = f"{_CQL2}/basic-spatial-functions"
BASIC_SPATIAL_FUNCTIONS_PLUS = f"{_CQL2}/basic-spatial-functions-plus"
SPATIAL_FUNCTIONS = f"{_CQL2}/spatial-functions"
ARITHMETIC = f"{_CQL2}/arithmetic"

CONFORMS_TO: tuple[str, ...] = (
    CORE,
    GEOJSON,
    HTML,
    OAS30,
    CRS,
    QUERYABLES,
    QUERYABLES_QUERY_PARAMETERS,
    FILTER,
    FEATURES_FILTER,
    CQL2_TEXT,
    CQL2_JSON,
    BASIC_CQL2,
    ADVANCED_COMPARISON,
    BASIC_SPATIAL_FUNCTIONS,
    BASIC_SPATIAL_FUNCTIONS_PLUS,
    SPATIAL_FUNCTIONS,
    ARITHMETIC,
)
