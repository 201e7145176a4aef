"""A GeoJSON import: the features of a FeatureCollection, read one at a time (the file is never
held whole); a feature nested too deeply or too long refuses the file."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from nte.reports.exceptions import InvalidImport
from nte.reports.importer.rows import Hasher, ParsedRow, RowError, parse_nte, parse_police
from nte.spatial.geometry import nested_too_deeply, too_deep

#: A GeoJSON feature longer than this is refused: a report is a point with a few short properties
#: (the description is cut to 2,000 characters), so a feature this long is not one.
MAX_FEATURE_CHARS = 1_000_000


def read_geojson(
    stream: IO[bytes], on_error: Callable[[RowError], None], progress: Callable[[int], None] | None = None
) -> Iterator[ParsedRow]:
    """Features of a FeatureCollection, one at a time (the file is never held whole)."""
    hasher = Hasher()
    for index, feature in _iter_features(stream, progress):
        line = index + 1  # feature number
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            on_error(RowError(line, "bad_row", "not a GeoJSON Feature"))
            continue
        geometry = feature.get("geometry")
        if geometry is None:
            on_error(RowError(line, "no_coordinates", "the feature has no geometry"))
            continue
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(geometry.get("coordinates"), list)
            or len(geometry["coordinates"]) < 2
        ):
            on_error(RowError(line, "bad_row", "geometry must be a Point"))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            on_error(RowError(line, "bad_row", "properties must be an object"))
            continue
        lon, lat = geometry["coordinates"][:2]
        if "Crime type" in props:
            rec = {str(k): "" if v is None else str(v) for k, v in props.items()}
            rec["Longitude"], rec["Latitude"] = str(lon), str(lat)
            parsed = parse_police(rec, line, "police", hasher)
        else:
            parsed = parse_nte(props, line, hasher, lon=lon, lat=lat)
        if isinstance(parsed, RowError):
            on_error(parsed)
        else:
            yield parsed


class _FeatureReader:
    """The text of a GeoJSON file read as far as needed, a 64 KiB chunk at a time."""

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self.stream = stream
        self.progress = progress
        self.text = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.buffer = ""
        self.eof = False

    def more(self) -> bool:
        """Read the next chunk into the buffer; False at the end of the file."""
        chunk = self.stream.read(65536)
        if self.progress and chunk:
            self.progress(len(chunk))
        if not chunk:
            self.eof = True
            self.buffer += self.text.decode(b"", final=True)
            return False
        try:
            self.buffer += self.text.decode(chunk)
        except UnicodeDecodeError:
            raise InvalidImport("The GeoJSON file is not UTF-8 text.", field="file") from None
        return True

    def skip_to_features(self) -> None:
        """Past the opening bracket of the ``features`` array."""
        while True:
            at = self.buffer.find('"features"')
            if at >= 0:
                bracket = self.buffer.find("[", at)
                if bracket >= 0:
                    self.buffer = self.buffer[bracket + 1 :]
                    return
            if not self.more():
                raise InvalidImport('This is not a GeoJSON FeatureCollection (no "features" array).', field="file")

    def at_next_element(self) -> bool:
        """Past the separators before the next element: False at the end of the array."""
        while True:
            stripped = self.buffer.lstrip(" \t\r\n,")
            if stripped:
                self.buffer = stripped
                return self.buffer[0] != "]"
            self.buffer = ""
            if not self.more():
                raise InvalidImport("The GeoJSON file ends in the middle of the features array.", field="file")


def _decode_feature(reader: _FeatureReader, decoder: json.JSONDecoder, index: int) -> Any:
    """The element at the start of the buffer, reading on until it is whole."""
    while True:
        try:
            obj, end = decoder.raw_decode(reader.buffer)
        except RecursionError:
            # Arrays or objects nested about 1,000 deep (how deep depends on the stack): the
            # decoder gives up, and so do we, the same way as for any feature nested too deeply.
            raise InvalidImport(nested_too_deeply(f"Feature {index + 1}"), field="file") from None
        except json.JSONDecodeError as exc:
            # Incomplete so far: read on, unless the feature is already longer than any report
            # (each retry decodes from the feature's start, so this also bounds the work).
            if len(reader.buffer) > MAX_FEATURE_CHARS:
                raise InvalidImport(
                    f"Feature {index + 1} is longer than {MAX_FEATURE_CHARS:,} characters, or is not valid JSON "
                    f"({exc.msg}); a report is a point with a few short properties.",
                    field="file",
                ) from None
            if not reader.eof and reader.more():
                continue
            raise InvalidImport(f"Feature {index + 1} is not valid JSON ({exc.msg}).", field="file") from None
        reader.buffer = reader.buffer[end:]
        return obj


def _iter_features(stream: IO[bytes], progress: Callable[[int], None] | None) -> Iterator[tuple[int, Any]]:
    """Each element of the ``features`` array, decoded. An element nested more than
    ``MAX_GEOJSON_DEPTH`` levels, or longer than ``MAX_FEATURE_CHARS``, refuses the whole file (a
    report is a Point with flat properties; collections of collections or properties holding huge
    nested objects are not reports)."""
    decoder = json.JSONDecoder()
    reader = _FeatureReader(stream, progress)
    reader.skip_to_features()
    index = 0
    while reader.at_next_element():
        obj = _decode_feature(reader, decoder, index)
        if too_deep(obj):
            raise InvalidImport(nested_too_deeply(f"Feature {index + 1}"), field="file")
        yield index, obj
        index += 1
