"""Decoded text lines of an uploaded CSV: only text encodings that keep ASCII as it is, a
byte-order mark honoured, and a line that is not valid text reported (not fatal)."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from typing import IO

from nte.reports.exceptions import InvalidImport
from nte.reports.importer.rows import RowError

#: The text encodings a CSV may be read in (any of their aliases, e.g. windows-1252 for cp1252).
#: Only encodings that keep ASCII as it is: lines are split on the newline byte before decoding.
#: UTF-16 files are read when they start with a byte-order mark, whatever is chosen here. Codecs
#: that are not text encodings (rot13, zlib_codec, base64_codec, ...) are refused by name.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-15", "ascii")
_ENCODING_CODECS = {codecs.lookup(name).name: name for name in ENCODINGS}


def text_encoding(name: str) -> str:
    """``name`` if it is (an alias of) one of :data:`ENCODINGS`, else :class:`InvalidImport`
    naming the field ``encoding``."""
    try:
        codec = codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        codec = None
    if codec not in _ENCODING_CODECS:
        raise InvalidImport(
            f"{name[:40]!r} is not a text encoding the import reads; choose one of {', '.join(ENCODINGS)}.",
            field="encoding",
        )
    return name


class LineSource:
    """Decoded text lines from a binary stream: BOM removed (UTF-8 or UTF-16), CRLF and LF kept
    for the csv module, NULs dropped; a line that is not valid in ``encoding`` is reported, not
    fatal. ``line_no`` is the physical line number of the last line handed out."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        encoding: str = "utf-8",
        on_error: Callable[[RowError], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.stream = stream
        self.encoding = encoding
        self.on_error = on_error
        self.progress = progress
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        head = self.stream.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            yield from self._utf16(head)
            return
        if head.startswith(codecs.BOM_UTF8):
            head = head[3:]
        first = True
        pending = head
        for raw in self.stream:
            if first:
                raw = pending + raw
                first = False
            yield from self._decode(raw)
        if first and pending:
            yield from self._decode(pending)

    def _decode(self, raw: bytes) -> Iterator[str]:
        self.line_no += 1
        if self.progress:
            self.progress(len(raw))
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.on_error(
                RowError(
                    self.line_no,
                    "encoding",
                    f"not valid {self.encoding} text at byte {exc.start}; save the file as UTF-8 "
                    "(or give its encoding)",
                )
            )
            return
        yield text.replace("\x00", "")

    def _utf16(self, head: bytes) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-16")()
        pending = decoder.decode(head)
        while True:
            chunk = self.stream.read(65536)
            if self.progress and chunk:
                self.progress(len(chunk))
            try:
                pending += decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                self.on_error(RowError(self.line_no + 1, "encoding", "not valid UTF-16 text"))
                return
            lines = pending.splitlines(keepends=True)
            pending = lines.pop() if lines and chunk and not lines[-1].endswith(("\n", "\r")) else ""
            for text in lines:
                self.line_no += 1
                yield text.replace("\x00", "")
            if not chunk:
                if pending:
                    self.line_no += 1
                    yield pending
                return
