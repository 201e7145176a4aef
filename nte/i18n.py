"""Marking text for translation where it is defined (domain vocabularies, error messages), so that
``pybabel extract -k N_`` finds it; it is translated where it is shown (``nte.web.i18n``, templates
call ``_(message)``). Domains import this, never the web layer."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - gettext convention: mark for extraction only
    return message
