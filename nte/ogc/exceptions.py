"""What a request to /ogc can get wrong."""

from __future__ import annotations

from nte.errors import NotFound, NTEError


class InvalidParameter(NTEError):
    """A query parameter the service cannot use (400, naming it): OGC API - Features asks for 400 on
    an unknown or malformed parameter."""

    status_code = 400
    code = "invalid_parameter"


class UnknownCollection(NotFound):
    code = "unknown_collection"


class UnknownFeature(NotFound):
    code = "unknown_feature"


class NotAcceptable(NTEError):
    status_code = 406
    code = "not_acceptable"
