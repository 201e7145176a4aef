"""The sign-in and invitations pages say "done" only when the server's own redirect says so: the
message travels signed (``nte.web.flash``), so a link anybody crafts (``?done=1``, ``?reset=done``,
``?done=<any text>``, or a token signed for another page's table) shows nothing."""

from __future__ import annotations

import pytest

from nte.web.flash import FlashMessages
from tests.factories import login, make_user

CHANGED = "Your password has been changed"
SENT = "Invitation sent"
WITHDRAWN = "Invitation withdrawn"


def _forged() -> str:
    """A real signature, for a key that is not in the page's table."""
    return FlashMessages({"elsewhere.done": "Your password has been changed."}).token("elsewhere.done")


@pytest.mark.parametrize("query", ["reset=done", "done=1", "done=Your password has been changed", "done=FORGED"])
def test_a_crafted_link_to_the_sign_in_page_shows_no_message(client, query):
    page = client.get(f"/login?{query.replace('FORGED', _forged())}")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert CHANGED not in page.text and 'class="success"' not in page.text


@pytest.mark.parametrize(
    "query", ["done=1", "withdrawn=1", "done=1&withdrawn=1", "done=Invitation sent.", "done=FORGED"]
)
def test_a_crafted_link_to_the_invitations_page_shows_no_message(client, db, query):
    login(client, db, make_user(db, role="admin"))
    page = client.get(f"/admin/invitations?{query.replace('FORGED', _forged())}")
    assert page.status_code == 200 and "<form" in page.text
    assert SENT not in page.text and WITHDRAWN not in page.text and 'class="success"' not in page.text
