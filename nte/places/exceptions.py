"""Place search errors (subclasses of the shared hierarchy: one handler renders them all)."""

from __future__ import annotations

from nte.errors import Invalid, NotFound


class InvalidPlaceQuery(Invalid):
    code = "invalid_place_query"

    def __init__(self, detail: str, *, field: str = "q") -> None:
        super().__init__(detail, field=field)


class InvalidPostcode(Invalid):
    code = "invalid_postcode"

    def __init__(self, field: str = "postcode") -> None:
        super().__init__("That is not a UK postcode: write it like SW1A 2AA.", field=field)


class PostcodeNotFound(NotFound):
    code = "postcode_not_found"

    def __init__(self, postcode: str, field: str = "postcode") -> None:
        # The postcode is not repeated back: the sentence could end up in a log or a screenshot.
        super().__init__("We have no point for that postcode: check it, or search for the street instead.", field=field)
        self.postcode = postcode


class PostcodeFileInvalid(Invalid):
    """The import file cannot be read at all (bad rows are reported, never raised)."""

    code = "postcode_file_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="file")
