"""OGC API - Features at ``/ogc``: NTE Safe's data as collections GIS tools (QGIS, ArcGIS, GDAL)
add once and always see current, filtered on the server (Parts 1, 2 and 3: core, CRS, CQL2).

A consumer of the domains, like ``nte.maps``: ``collections/`` says what each collection serves and
to whom, ``repository`` builds its SQL, ``service`` answers a request, ``documents`` writes the
JSON, ``router`` and ``pages`` are the web edge."""
