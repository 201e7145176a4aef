"""The form kit: read a form one way, check it against a declared list of fields, re-show it with
every error at once.

- ``FormDep`` reads an ``application/x-www-form-urlencoded`` or ``multipart/form-data`` body into a
  ``Form``: text values (stripped), repeated values as lists, files read up to a limit.
- A domain declares what its form holds as a tuple of ``Field``s; ``clean(FIELDS, data)`` returns the
  typed values or raises ``nte.errors.FieldErrors`` naming **every** wrong field, so the JSON API and
  the page report the same list and a person fixes the form in one go.
- ``form_context(form, error)`` is what a template needs to show the form again: what was typed and
  the error under each field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from nte.config import get_settings
from nte.errors import FieldErrors, NTEError
from nte.i18n import N_, Formatted

REQUIRED = N_("This is required.")
TOO_LONG = N_("Use %(n)s characters or fewer.")
NOT_A_CHOICE = N_("Choose one of the options.")


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class Form:
    """A form as sent: text values, the lists of repeated names, and files."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)
    #: The text values exactly as sent, not stripped: what a password field holds.
    exact: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def getlist(self, name: str) -> list[str]:
        return list(self.lists.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self.values or name in self.files

    def data(self, names: Iterable[str] | None = None, *, lists: Iterable[str] = ()) -> dict[str, Any]:
        """The text values (only ``names`` if given, and only those sent) plus the named lists."""
        wanted = self.values if names is None else {n: self.values[n] for n in names if n in self.values}
        out: dict[str, Any] = dict(wanted)
        for name in lists:
            out[name] = self.getlist(name)
        return out


async def read_form(request: Request) -> Form:
    """The one way a page reads its form (files up to ``NTE_MAX_UPLOAD_BYTES`` + 1, so a service can
    tell "too large" from "just fits")."""
    limit = get_settings().max_upload_bytes + 1
    sent = await request.form()
    form = Form()
    for name, value in sent.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                form.files[name] = Upload(value.filename, await value.read(limit), value.content_type or "")
            continue
        text = value.strip()
        form.exact.setdefault(name, value)
        form.lists.setdefault(name, []).append(text)
        form.values.setdefault(name, text)
    return form


FormDep = Annotated[Form, Depends(read_form)]


Check = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    """One field a form or API body may hold.

    ``parse`` turns the sent text into the stored value and raises ``ValueError`` (its message, or
    ``invalid``) when it cannot; ``check`` may raise ``ValueError`` on the parsed value. Empty text is
    ``default`` (a fresh ``default_factory()`` when given, e.g. ``list``), or ``REQUIRED`` when
    ``required``. ``missing`` and ``too_long`` (which may name ``%(n)s``) replace the kit's own
    sentences for an empty required field and for text over ``max_length``."""

    name: str
    required: bool = False
    max_length: int | None = None
    choices: Sequence[str] | None = None
    parse: Check | None = None
    check: Check | None = None
    default: Any = None
    invalid: str | None = None
    many: bool = False
    #: The field's own words for "empty" and "too long" (a template given ``%(n)s``), instead of
    #: REQUIRED and TOO_LONG.
    missing: str | None = None
    too_long: str | None = None
    default_factory: Callable[[], Any] | None = None

    def clean(self, raw: Any) -> Any:
        if self.many:
            items = [str(v).strip() for v in (raw or []) if str(v).strip()] if not isinstance(raw, str) else [raw]
            if self.required and not items:
                raise ValueError(self.missing or REQUIRED)
            if self.choices is not None and any(i not in self.choices for i in items):
                raise ValueError(self.invalid or NOT_A_CHOICE)
            return self._checked(items)
        text = raw.strip() if isinstance(raw, str) else raw
        if text is None or text == "":
            if self.required:
                raise ValueError(self.missing or REQUIRED)
            return self.default_factory() if self.default_factory is not None else self.default
        if isinstance(text, str) and self.max_length is not None and len(text) > self.max_length:
            raise ValueError(Formatted(self.too_long or TOO_LONG, n=self.max_length))
        if self.choices is not None and text not in self.choices:
            raise ValueError(self.invalid or NOT_A_CHOICE)
        value = text
        if self.parse is not None:
            try:
                value = self.parse(text)
            except ValueError as exc:
                raise ValueError(self.invalid or _message(exc)) from exc
        return self._checked(value)

    def _checked(self, value: Any) -> Any:
        if self.check is not None:
            result = self.check(value)
            if result is not None:
                value = result
        return value


def _message(exc: ValueError) -> str:
    text = exc.args[0] if exc.args else ""
    return text if isinstance(text, str) and text else N_("This value cannot be read.")


def collect(
    fields: Sequence[Field], data: Mapping[str, Any], *, only: Iterable[str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Every declared field (or ``only`` those) checked, without raising: the values of the right
    ones and the message of each wrong one, in the order the fields are declared. For a form whose
    rules go on past the field list (a check across fields, a lookup) before it reports them all."""
    chosen = fields if only is None else [f for f in fields if f.name in set(only)]
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in chosen:
        try:
            values[f.name] = f.clean(data.get(f.name))
        except ValueError as exc:
            errors[f.name] = _message(exc)
    return values, errors


def clean(fields: Sequence[Field], data: Mapping[str, Any], *, only: Iterable[str] | None = None) -> dict[str, Any]:
    """Every declared field (or ``only`` those, for a partial update) checked; all the errors at once
    as ``FieldErrors``, in the order the fields are declared."""
    values, errors = collect(fields, data, only=only)
    if errors:
        raise FieldErrors(errors)
    return values


def field_errors(error: NTEError | None, *, default: str = "form") -> dict[str, str]:
    """The message under each field for a refused form: all of them for ``FieldErrors``, the one
    named field (or ``default``) otherwise."""
    if error is None:
        return {}
    if isinstance(error, FieldErrors):
        return dict(error.errors)
    return {(error.field or default): error.detail}


def form_context(form: Form | Mapping[str, Any] | None, error: NTEError | None = None) -> dict[str, Any]:
    """What a template needs to show a form again: ``values`` as typed and ``errors`` per field."""
    values: dict[str, Any]
    if isinstance(form, Form):
        values = {**form.values, **{k: v for k, v in form.lists.items() if len(v) > 1}}
    else:
        values = dict(form or {})
    return {"values": values, "errors": field_errors(error)}
