"""JSON API for finding a place: ``GET /api/places?q=`` and ``GET /api/places/postcode/{postcode}``.

Public and answered from NTE Safe's own tables (no third-party geocoder). The query can be a
person's home postcode, so it is never logged: the access log names the route template only
(``nte.web.middleware.PrivateAccessLog``), and nothing here logs the text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from nte.auth.deps import public
from nte.config import get_settings
from nte.db import SessionDep
from nte.errors import ERROR_RESPONSES
from nte.places import service
from nte.places.schemas import PlaceRead, PlaceSearchRead
from nte.web.ratelimit import RateLimiter, client_address

router = APIRouter(prefix="/api/places", tags=["places"], responses=ERROR_RESPONSES)

#: Searches per client address per minute: plenty for a person typing, not for a scraper.
SEARCHES_PER_MINUTE = 60


def search_budget(request: Request) -> None:
    """Count one search against the client's address (in memory, under a rotating keyed hash)."""
    state = request.app.state
    if not hasattr(state, "place_search_limiter"):
        state.place_search_limiter = RateLimiter(limit=SEARCHES_PER_MINUTE, window_seconds=60)
    limiter: RateLimiter = state.place_search_limiter
    limiter.hit(client_address(request), what="place search")


@router.get(
    "",
    dependencies=[Depends(public), Depends(search_budget)],
    response_model=PlaceSearchRead,
    summary="Find a place by postcode, street, ward or venue name",
)
def search_places(
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=service.MIN_QUERY,
            max_length=service.MAX_QUERY,
            description="A full or partial postcode (an outward code alone gives the mean of its points), "
            "a street, ward, venue or safe-space name",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
) -> PlaceSearchRead:
    """Best first: the postcode, then names that are equal to, start with, or contain the text
    (case and accents ignored). Only public places: verified venues and safe spaces, served wards."""
    places = service.search(session, q=q, limit=limit, settings=get_settings())
    return PlaceSearchRead(count=len(places), results=[PlaceRead(**p.to_json()) for p in places])


@router.get(
    "/postcode/{postcode}",
    dependencies=[Depends(public), Depends(search_budget)],
    response_model=PlaceRead,
    summary="The point of one postcode",
)
def postcode(
    session: SessionDep,
    postcode: Annotated[str, Path(max_length=12, description="A full UK postcode, e.g. SW1A 2AA")],
) -> PlaceRead:
    """404 when we hold no point for it; 422 when it is not a UK postcode."""
    place = service.postcode_place(session, postcode=postcode, settings=get_settings())
    return PlaceRead(**place.to_json())
