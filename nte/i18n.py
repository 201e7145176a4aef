"""Marking text for translation where it is defined (domain vocabularies, error messages), so that
``pybabel extract -k N_`` finds it; it is translated where it is shown (``nte.web.i18n``, templates
call ``_(message)``). Domains import this, never the web layer."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - gettext convention: mark for extraction only
    return message


class Formatted(str):
    """A message with values in it: the English sentence (``template % values``, what the API's JSON
    says) that keeps its catalogue template and values, so a page translates first and formats after
    (``_(m.template)|format(**m.values)``), and the sentence stays whole in every language.
    ``Formatted(N_("Pledge %(n)s: give the date by which you will meet it."), n=3)``."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, /, **values: object) -> Formatted:
        self = super().__new__(cls, template % values)
        self.template = template
        self.values = values
        return self
