"""Demo data: the real NHS pharmacies of the six boroughs as unverified examples (no hours known,
so never shown open), plus three invented example safe spaces with example hours, named and
flagged as examples. Idempotent (keyed by ``external_id``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.db import utcnow
from nte.safespaces import service
from nte.safespaces.models import HELP_ITEMS

NHS_PHARMACIES = Path(__file__).resolve().parent.parent / "data" / "safe-spaces" / "pharmacies-nhs-six-boroughs.csv"

#: Invented places (not real services) so that the demo has something open at night. Their hours
#: are examples, confirmed on the day the demo is loaded (so after 90 days they turn "unsure").
EXAMPLE_SPACES: list[dict[str, Any]] = [
    {
        "external_id": "demo:soho-haven",
        "name": "Example safe haven, Soho (demo data, not a real service)",
        "kind": "safe_haven",
        "address": "Example address, Soho",
        "postcode": "W1D 3QF",
        "phone": "020 7946 0001",
        "lon": -0.1337,
        "lat": 51.5136,
        "opening_hours": "Th-Sa 20:00-04:00",
        "help_offered": list(HELP_ITEMS),
        "codewords": ["ask_for_angela"],
        "step_free": True,
        "languages": ["English", "Spanish"],
    },
    {
        "external_id": "demo:clapham-hub",
        "name": "Example station help point, Clapham Junction (demo data)",
        "kind": "transport_hub",
        "address": "Example address, St John's Hill",
        "postcode": "SW11 2QP",
        "phone": "020 7946 0002",
        "lon": -0.1707,
        "lat": 51.4642,
        "opening_hours": "Mo-Su 05:00-01:30",
        "help_offered": ["staff_on_duty", "trained_staff", "water", "cctv", "toilets", "first_aid"],
        "codewords": [],
        "step_free": True,
        "languages": ["English"],
    },
    {
        "external_id": "demo:dalston-cafe",
        "name": "Example community night café, Dalston (demo data)",
        "kind": "community_centre",
        "address": "Example address, Kingsland Road",
        "postcode": "E8 2PB",
        "phone": "020 7946 0003",
        "lon": -0.0757,
        "lat": 51.5463,
        "opening_hours": "Fr-Sa 21:00-03:00; Su 12:00-18:00",
        "help_offered": ["staff_on_duty", "water", "phone_for_calls", "phone_charging", "private_seating"],
        "codewords": [],
        "step_free": False,
        "languages": ["English", "Turkish"],
    },
]


def load_examples(session: Session, console: Console) -> None:
    settings = get_settings()
    now = utcnow()
    result = service.import_csv(
        session,
        text=NHS_PHARMACIES.read_text(encoding="utf-8"),
        actor=None,
        settings=settings,
        now=now,
        is_example=True,
        label="NHS pharmacies (demo)",
    )
    console.print(
        f"Safe spaces: {result.created} NHS pharmacies added as unverified examples "
        f"({result.already_present} already there)."
    )
    present = service.already_imported(session, [e["external_id"] for e in EXAMPLE_SPACES])
    added = 0
    for example in EXAMPLE_SPACES:
        if example["external_id"] in present:
            continue
        data = {k: v for k, v in example.items() if k != "external_id"}
        service.create_space(
            session,
            data=data,
            actor=None,
            settings=settings,
            now=now,
            confirm_hours=True,
            source="demo",
            external_id=example["external_id"],
            is_example=True,
        )
        added += 1
    console.print(
        f"Safe spaces: {added} invented example spaces with example hours added "
        f"({len(EXAMPLE_SPACES) - added} already there)."
    )
