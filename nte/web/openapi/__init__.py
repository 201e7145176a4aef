"""The OpenAPI document tells the truth about errors: each operation lists the error statuses and
``error`` codes it can answer with, read from the code that serves it.

For every operation the endpoint and each callable of its dependency tree are read (their source,
through ``ast``) for ``raise X(...)`` where ``X`` is an :class:`nte.errors.NTEError` (its
``status_code``, and its ``code`` or the ``code`` its constructor passes on), for helpers that
return such an error to be raised, and for the calls they make to other functions of ``nte``
(``name(...)``, ``module.name(...)``, a method of an ``nte`` class through an annotated or
constructed receiver), followed through ``__globals__`` of the function objects themselves, so it
does not matter which file a function lives in. What a ``try`` catches is taken off what its body
can raise. Then what the framework adds: 422 for request validation when there is input, 404 where
a path value may match no route (a ``/`` in it), 413 and 400 where a body is read, 503 where the
request's database session is used.

The walk over-approximates (every branch counts), so a documented code may be rare; what it must
never do is miss a status an operation answers with: tests/test_access_matrix.py checks every
answer it observes against this document.

Sections: ``names`` (how a name in a function resolves), ``constructors`` (the code and sentence of
``X(...)``), ``raises`` (what a function raises, following its calls), ``operations`` (what an
operation answers with), ``document`` (the OpenAPI document)."""

from nte.web.openapi.document import COMMON_ERRORS, ERROR_SCHEMA, describe_errors, document_errors
from nte.web.openapi.operations import ErrorAnswer, answers_by_operation, api_routes, dependants, operation_errors
from nte.web.openapi.raises import Analysis

__all__ = [
    "COMMON_ERRORS",
    "ERROR_SCHEMA",
    "Analysis",
    "ErrorAnswer",
    "answers_by_operation",
    "api_routes",
    "dependants",
    "describe_errors",
    "document_errors",
    "operation_errors",
]
