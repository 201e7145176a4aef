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
answer it observes against this document."""

from __future__ import annotations

import ast
import functools
import inspect
import json
import textwrap
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing

from nte.auth.deps import SAFE_METHODS
from nte.db import get_session
from nte.errors import ERROR_RESPONSES, LoginRequired, NTEError

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "machine-readable code, e.g. outside_service_area"},
        "detail": {"type": "string", "description": "a sentence for people"},
        "field": {"type": ["string", "null"], "description": "the input field at fault"},
        "fields": {"type": "array", "items": {"type": "object"}},
    },
}
#: What each error status means, whichever operation answers with it.
COMMON_ERRORS = {
    "400": "Bad request (a form body that cannot be parsed)",
    "401": "Not signed in, or the bearer token is invalid, expired or revoked",
    "403": "Your role does not allow this (or a missing CSRF token)",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflicts with the current state",
    "413": "Body too large",
    "415": "Unsupported media type",
    "422": "A field is missing or invalid; `field` names it",
    "429": "Too many requests; see Retry-After",
    "503": "The database is not answering; nothing was saved",
}
#: What any address may answer, whatever its operation: said once, in the document's description.
EVERY_ADDRESS = (
    'Errors share one body: `{"error": code, "detail": sentence, "field": name}`. Each operation lists the '
    "statuses and codes it can answer with (`x-error-codes`). Any address may also answer 404 `not_found` "
    "(nothing there), 405 `method_not_allowed`, 413 `too_large` (a body over the size limit) and 422 `invalid` "
    "(a NUL character in the address or body)."
)

#: What the framework answers, by where it happens (code, sentence).
VALIDATION = (422, "invalid", "A field is missing or invalid; `field` names it and `fields` lists them all.")
TOO_LARGE = (413, "too_large", "The request body is larger than the limit.")
NO_ROUTE = (404, "not_found", "There is nothing at this address.")  # a path value the route cannot match
UNPARSABLE = (400, "http_error", "There was an error parsing the body.")
DATABASE_DOWN = (
    503,
    "database_unavailable",
    "The database is not answering; nothing was saved. Please try again shortly.",
)

#: How deep calls are followed from an endpoint or a dependency.
MAX_DEPTH = 40


@dataclass(frozen=True, order=True)
class ErrorAnswer:
    """One error an operation can answer with: its status, ``error`` code and, where the code says it
    in one sentence, that sentence (``…`` marks what varies). ``code`` is None when the body is not
    the Error shape (an answer built by hand) or the code cannot be read."""

    status: int
    code: str | None
    detail: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Raised:
    cls: type[NTEError]
    code: str | None
    detail: str | None


@dataclass(frozen=True)
class _Instance:
    """A local value of a known ``nte`` class (a receiver whose methods can be followed)."""

    cls: type


#: Abstract values: the strings an expression can be. ``None`` is Python's None, ``UNKNOWN`` anything.
UNKNOWN: Any = object()
Value = frozenset


def _nte(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "nte" or module.startswith("nte.")


def _error_class(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, NTEError)


def _function(obj: object) -> Callable[..., Any] | None:
    """The plain function behind a callable of ``nte``, or None."""
    if isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if inspect.ismethod(obj):
        obj = obj.__func__
    try:
        obj = inspect.unwrap(obj)  # type: ignore[arg-type]
    except ValueError:
        return None
    if inspect.isfunction(obj) and _nte(obj):
        return obj
    return None


@functools.cache
def _parse(code: types.CodeType, fn: Callable[..., Any]) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == fn.__name__:
            return node
        if isinstance(node, ast.Lambda) and fn.__name__ == "<lambda>":
            return node
    return None


class _Scope:
    """How the names in one function resolve: its locals (annotated, or assigned from a call), the
    variables of its closure, its module's globals."""

    def __init__(self, fn: Callable[..., Any], tree: ast.AST, self_type: type | None) -> None:
        self.fn = fn
        self.globals: dict[str, Any] = getattr(fn, "__globals__", {})
        self.nonlocals: dict[str, Any] = {}
        for name, cell in zip(fn.__code__.co_freevars, getattr(fn, "__closure__", None) or (), strict=False):
            try:
                self.nonlocals[name] = cell.cell_contents
            except ValueError:
                pass
        self.types: dict[str, type] = {}
        self.assigned: dict[str, list[ast.expr]] = {}
        self.caught: set[str] = set()
        if self_type is not None:
            self.types["self"] = self_type
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                if cls := self._annotation(node.annotation):
                    self.types.setdefault(node.arg, cls)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if cls := self._annotation(node.annotation):
                    self.types[node.target.id] = cls
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.caught.add(node.name)

    def _annotation(self, node: ast.expr) -> type | None:
        """The ``nte`` class an annotation names (the first of a union or ``Annotated``), or None."""
        text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ast.unparse(node)
        key = (text, self.globals.get("__name__"), tuple(sorted(self.nonlocals)) if self.nonlocals else ())
        if key not in _ANNOTATIONS:
            try:
                hint = eval(text, self.globals, dict(self.nonlocals))  # noqa: S307 - the module's own annotation
            except Exception:  # noqa: BLE001 - an annotation that needs names only a type checker has
                hint = None
            _ANNOTATIONS[key] = _class_in(hint)
        return _ANNOTATIONS[key]

    def lookup(self, name: str) -> Any:
        if name in self.types:
            return _Instance(self.types[name])
        if name in self.assigned:
            return None  # a local: only its type (above) or its assigned calls (_Walk) say anything
        if name in self.nonlocals:
            return self.nonlocals[name]
        return self.globals.get(name)


_ANNOTATIONS: dict[tuple[Any, ...], type | None] = {}
_SCOPES: dict[tuple[types.CodeType, type | None], _Scope] = {}


def _scope(fn: Callable[..., Any], tree: ast.AST, self_type: type | None = None) -> _Scope:
    key = (fn.__code__, self_type)
    if key not in _SCOPES or _SCOPES[key].fn is not fn:
        _SCOPES[key] = _Scope(fn, tree, self_type)
    return _SCOPES[key]


def _class_in(hint: Any) -> type | None:
    if isinstance(hint, type):
        return hint if _nte(hint) else None
    for arg in typing.get_args(hint):
        if cls := _class_in(arg):
            return cls
    return None


def _return_class(fn: Callable[..., Any]) -> type | None:
    annotation = getattr(fn, "__annotations__", {}).get("return")
    if annotation is None:
        return None
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, dict(getattr(fn, "__globals__", {})))  # noqa: S307
        except Exception:  # noqa: BLE001
            return None
    return _class_in(annotation)


class Analysis:
    """What the functions of ``nte`` can raise, each read once (shared by every app in the process:
    the code does not change while it runs)."""

    def __init__(self) -> None:
        self._raises: dict[tuple[types.CodeType, type | None], frozenset[_Raised]] = {}
        self._returns: dict[types.CodeType, frozenset[_Raised]] = {}
        self._reads_body: dict[types.CodeType, bool] = {}
        # The functions being read, outermost first, and whether each one's answer is partial: a
        # function reached again while it is being read (a cycle) adds nothing there, so those
        # between are not remembered (read again when met later); the cycle's first stays whole.
        self._stack: list[tuple[types.CodeType, type | None]] = []
        self._partial: set[int] = set()

    # --- what a callable raises, following its calls ---------------------------------------------

    def raises(self, obj: object, *, self_type: type | None = None, depth: int = 0) -> frozenset[_Raised]:
        fn = _function(obj)
        if fn is None:
            if isinstance(obj, type) and _nte(obj) and not _error_class(obj):
                return self.raises(vars(obj).get("__init__"), self_type=obj, depth=depth)
            if not isinstance(obj, type) and _nte(type(obj)) and callable(obj):
                return self.raises(type(obj).__call__, self_type=type(obj), depth=depth)
            return frozenset()
        key = (fn.__code__, self_type)
        if key in self._raises:
            return self._raises[key]
        if key in self._stack or depth > MAX_DEPTH:
            first = self._stack.index(key) + 1 if key in self._stack else 0
            self._partial.update(range(first, len(self._stack)))
            return frozenset()
        tree = _parse(fn.__code__, fn)
        if tree is None:
            return frozenset()
        self._stack.append(key)
        try:
            walk = _Walk(self, _scope(fn, tree, self_type), depth)
            walk.visit(tree, ())
            found = frozenset(walk.raised)
        finally:
            self._stack.pop()
            partial = len(self._stack) in self._partial
            self._partial.discard(len(self._stack))
        if not partial:
            self._raises[key] = found
        self._reads_body[fn.__code__] = walk.reads_body
        return found

    def reads_body(self, obj: object) -> bool:
        """Whether a callable (not the ones it calls) reads the request body itself."""
        fn = _function(obj)
        if fn is None:
            return False
        self.raises(fn)
        return self._reads_body.get(fn.__code__, False)

    def returned(self, obj: object, depth: int = 0) -> frozenset[_Raised]:
        """The errors a helper returns for its caller to raise (``raise refusal_for(...)``)."""
        fn = _function(obj)
        if fn is None or depth > MAX_DEPTH:
            return frozenset()
        if fn.__code__ in self._returns:
            return self._returns[fn.__code__]
        self._returns[fn.__code__] = frozenset()  # a cycle finds nothing more
        tree = _parse(fn.__code__, fn)
        found: set[_Raised] = set()
        if tree is not None:
            scope = _scope(fn, tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Return):
                    for call in _outcomes(node.value):
                        found |= self.built(call, scope, depth + 1)
        self._returns[fn.__code__] = frozenset(found)
        return self._returns[fn.__code__]

    def built(self, call: ast.Call, scope: _Scope, depth: int) -> set[_Raised]:
        """The errors an expression ``X(...)`` makes: an error class, or a helper returning one."""
        target = resolve(call.func, scope)
        if _error_class(target):
            return construct(target, call, scope)
        return set(self.returned(target, depth))


def _outcomes(expr: ast.expr | None) -> Iterator[ast.Call]:
    """The calls an expression's value can be: itself, either branch of ``a if c else b``, ``a or b``."""
    if isinstance(expr, ast.Call):
        yield expr
    elif isinstance(expr, ast.IfExp):
        yield from _outcomes(expr.body)
        yield from _outcomes(expr.orelse)
    elif isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from _outcomes(value)


class _Walk:
    """One function's body: its raises, and the errors of what it calls, less what a ``try`` catches."""

    def __init__(self, analysis: Analysis, scope: _Scope, depth: int) -> None:
        self.analysis = analysis
        self.scope = scope
        self.depth = depth
        self.raised: set[_Raised] = set()
        self.reads_body = False

    def add(self, found: Iterable[_Raised], caught: tuple[type, ...]) -> None:
        self.raised |= {r for r in found if not (caught and issubclass(r.cls, caught))}

    def visit(self, node: ast.AST, caught: tuple[type, ...]) -> None:
        if isinstance(node, ast.Try):
            inner = caught + self._catches(node)
            for statement in node.body:
                self.visit(statement, inner)
            for part in (*node.handlers, *node.orelse, *node.finalbody):
                self.visit(part, caught)
            return
        if isinstance(node, ast.Raise) and node.exc is not None:
            self.add(self._raise(node.exc), caught)
        elif isinstance(node, ast.Call):
            self._call(node, caught)
        for child in ast.iter_child_nodes(node):
            self.visit(child, caught)

    def _catches(self, node: ast.Try) -> tuple[type, ...]:
        """The classes a ``try``'s handlers catch and keep. A handler that re-raises keeps nothing, nor
        one that answers with the error it caught (``JSONResponse(exc.body(), status_code=exc.status_code)``)."""
        found: list[type] = []
        for handler in node.handlers:
            reraises = any(
                (
                    isinstance(n, ast.Raise)
                    and (n.exc is None or (isinstance(n.exc, ast.Name) and n.exc.id == handler.name))
                )
                or (
                    isinstance(n, ast.Attribute)
                    and n.attr == "status_code"
                    and isinstance(n.value, ast.Name)
                    and n.value.id == handler.name
                )
                for n in ast.walk(handler)
            )
            if reraises:
                continue
            if handler.type is None:
                found.append(BaseException)
                continue
            for expr in handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]:
                cls = resolve(expr, self.scope)
                if isinstance(cls, type) and issubclass(cls, BaseException):
                    found.append(cls)
        return tuple(found)

    def _raise(self, exc: ast.expr) -> set[_Raised]:
        if isinstance(exc, ast.Call):
            return self.analysis.built(exc, self.scope, self.depth + 1)
        if isinstance(exc, ast.Name) and exc.id in self.scope.caught:
            return set()  # re-raising what a handler caught: counted where it was raised
        if isinstance(exc, ast.Name) and exc.id in self.scope.assigned:
            found: set[_Raised] = set()
            for value in self.scope.assigned[exc.id]:
                for call in _outcomes(value):
                    found |= self.analysis.built(call, self.scope, self.depth + 1)
            return found
        target = resolve(exc, self.scope)
        if _error_class(target):
            return construct(target, None, self.scope)
        return set()

    def _call(self, call: ast.Call, caught: tuple[type, ...]) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("form", "body", "stream", "json"):
            if isinstance(func.value, ast.Name) and func.value.id in ("request", "req"):
                self.reads_body = True
        target = resolve(func, self.scope)
        self_type = None
        if isinstance(func, ast.Attribute):
            receiver = resolve(func.value, self.scope)
            if isinstance(receiver, _Instance):
                self_type = receiver.cls
        if isinstance(target, _Instance):
            target, self_type = inspect.getattr_static(target.cls, "__call__", None), target.cls
        if not _error_class(target):
            self.add(self.analysis.raises(target, self_type=self_type, depth=self.depth + 1), caught)
        # A function handed on to be called (a callback, a budget): what it raises counts too.
        for arg in (*call.args, *(k.value for k in call.keywords)):
            if isinstance(arg, (ast.Name, ast.Attribute)) and _function(passed := resolve(arg, self.scope)):
                self.add(self.analysis.raises(passed, depth=self.depth + 1), caught)


def resolve(expr: ast.expr, scope: _Scope, seen: frozenset[str] = frozenset()) -> Any:
    """The object an expression names (a module, class, function), an :class:`_Instance`, or None."""
    if isinstance(expr, ast.Name):
        found = scope.lookup(expr.id)
        if found is None and expr.id in scope.assigned and expr.id not in seen:
            for value in scope.assigned[expr.id]:
                if isinstance(value, ast.Call) and (cls := _made_class(value, scope, seen | {expr.id})):
                    return _Instance(cls)
        return found
    if isinstance(expr, ast.Attribute):
        base = resolve(expr.value, scope, seen)
        if isinstance(base, _Instance):
            return inspect.getattr_static(base.cls, expr.attr, None)
        if isinstance(base, (types.ModuleType, type)):
            return getattr(base, expr.attr, None)
        return None
    if isinstance(expr, ast.Call):
        cls = _made_class(expr, scope, seen)
        return _Instance(cls) if cls else None
    return None


def _made_class(call: ast.Call, scope: _Scope, seen: frozenset[str] = frozenset()) -> type | None:
    """The ``nte`` class of what a call returns: a constructor's class, or a function's annotation."""
    target = resolve(call.func, scope, seen)
    if isinstance(target, type):
        return target if _nte(target) and not _error_class(target) else None
    fn = _function(target)
    return _return_class(fn) if fn else None


# --- what an error's constructor makes of its arguments -------------------------------------------


def _strings(expr: ast.expr | None, env: dict[str, Value], scope: _Scope | None) -> Value:
    """The strings an argument can be: literals, ``N_("...")``, module constants, f-strings with
    ``…`` for what varies, an element of a tuple a helper returns; else ``UNKNOWN``."""
    if expr is None:
        return frozenset({None})
    if isinstance(expr, ast.Constant):
        return frozenset({expr.value if isinstance(expr.value, str) or expr.value is None else UNKNOWN})
    if isinstance(expr, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else "…" for v in expr.values]
        return frozenset({"".join(str(p) for p in parts)})
    if isinstance(expr, ast.IfExp):
        return _strings(expr.body, env, scope) | _strings(expr.orelse, env, scope)
    if isinstance(expr, ast.Name):
        if expr.id in env:
            return env[expr.id]
        if scope is not None and expr.id not in scope.assigned:
            value = scope.lookup(expr.id)
            if isinstance(value, str):
                return frozenset({value})
        return frozenset({UNKNOWN})
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("N_", "_", "gettext"):
        return _strings(expr.args[0], env, scope) if expr.args else frozenset({UNKNOWN})
    if isinstance(expr, ast.Subscript) and scope is not None:
        return _tuple_element(expr, scope)
    return frozenset({UNKNOWN})


def _tuple_element(expr: ast.Subscript, scope: _Scope) -> Value:
    """``problem[0]`` where ``problem = helper(...)`` and the helper returns literal tuples."""
    index = expr.slice
    if not (isinstance(expr.value, ast.Name) and isinstance(index, ast.Constant) and isinstance(index.value, int)):
        return frozenset({UNKNOWN})
    found: set[Any] = set()
    for value in scope.assigned.get(expr.value.id, []):
        fn = _function(resolve(value.func, scope)) if isinstance(value, ast.Call) else None
        items = _returned_tuples(fn, index.value, 0) if fn else None
        found |= items if items else {UNKNOWN}
    return frozenset(found or {UNKNOWN})


def _returned_tuples(fn: Callable[..., Any], index: int, depth: int) -> set[Any] | None:
    tree = _parse(fn.__code__, fn)
    if tree is None or depth > 3:
        return None
    scope = _scope(fn, tree)
    found: set[Any] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = node.value
        if isinstance(value, ast.Tuple) and len(value.elts) > index:
            found |= _strings(value.elts[index], {}, scope)
        elif isinstance(value, ast.Call) and (inner := _function(resolve(value.func, scope))):
            found |= _returned_tuples(inner, index, depth + 1) or {UNKNOWN}
        elif not (isinstance(value, ast.Constant) and value.value is None):
            found.add(UNKNOWN)
    return found


def _bind(fn: Callable[..., Any], args: list[Value], kwargs: dict[str, Value]) -> dict[str, Any]:
    """Map a call's abstract arguments onto a constructor's parameters (``self`` left out)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}
    env: dict[str, Any] = {}
    rest = dict(kwargs)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for param, value in zip(positional, args, strict=False):
        env[param.name] = value
    for param in params:
        if param.kind == param.VAR_KEYWORD:
            continue
        if param.name in rest:
            env[param.name] = rest.pop(param.name)
        elif param.name not in env and param.default is not param.empty:
            default = param.default
            env[param.name] = frozenset({default if isinstance(default, str) or default is None else UNKNOWN})
    for param in params:
        if param.kind == param.VAR_KEYWORD:
            env["**" + param.name] = rest
    return env


def _super_call(tree: ast.AST) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__":
            owner = node.func.value
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                return node
    return None


def construct(cls: type[NTEError], call: ast.Call | None, scope: _Scope) -> set[_Raised]:
    """The code(s) and sentence of ``cls(...)``: its arguments followed through each ``__init__`` up
    to :class:`NTEError`'s (``detail``, ``code``); no ``code`` given means the class's own."""
    if issubclass(cls, LoginRequired):
        return set()  # a page's sign-in redirect (303), not an error answer
    args: list[Value] = []
    kwargs: dict[str, Value] = {}
    if call is not None:
        args = [_strings(a, {}, scope) for a in call.args if not isinstance(a, ast.Starred)]
        kwargs = {k.arg: _strings(k.value, {}, scope) for k in call.keywords if k.arg}
    at: type = cls
    for _ in range(10):
        owner = next((k for k in at.__mro__ if "__init__" in vars(k)), NTEError)
        init = vars(owner)["__init__"]
        if owner is NTEError or not issubclass(owner, NTEError) or not _nte(owner):
            env = _bind(NTEError.__init__, args, kwargs)
            break
        env = _bind(init, args, kwargs)
        tree = _parse(init.__code__, init)
        parent_call = _super_call(tree) if tree is not None else None
        if parent_call is None:
            break
        init_scope = _scope(init, tree) if tree is not None else None
        args = [_strings(a, env, init_scope) for a in parent_call.args if not isinstance(a, ast.Starred)]
        kwargs = {}
        for keyword in parent_call.keywords:
            if keyword.arg:
                kwargs[keyword.arg] = _strings(keyword.value, env, init_scope)
            elif isinstance(keyword.value, ast.Name):
                kwargs.update(env.get("**" + keyword.value.id, {}))
        at = owner.__mro__[1]
    details = env.get("detail", frozenset({UNKNOWN}))
    detail = next(iter(details)) if len(details) == 1 else None
    detail = detail if isinstance(detail, str) else None
    codes = env.get("code", frozenset({None}))
    return {
        _Raised(cls, code if isinstance(code, str) and code else (None if code is UNKNOWN else cls.code), detail)
        for code in codes
    }


# --- per operation --------------------------------------------------------------------------------

ANALYSIS = Analysis()


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for dep in dependant.dependencies:
        yield from _dependants(dep)


def operation_errors(route: Any, analysis: Analysis = ANALYSIS) -> frozenset[ErrorAnswer]:
    """Every error an operation can answer with: what its endpoint and dependencies raise (and what
    they call), what the framework adds for its input, and hand-built error responses it returns."""
    raised: set[_Raised] = set()
    answers: set[ErrorAnswer] = set()
    has_input = reads_body = uses_session = False
    for dependant in _dependants(route.dependant):
        call = dependant.call
        if call is get_session:
            uses_session = True
        if call is not None:
            raised |= analysis.raises(call)
            reads_body = reads_body or analysis.reads_body(call)
            answers |= _answered(call)
        if dependant.path_params or dependant.query_params or dependant.body_params:
            has_input = True
        if dependant.path_params:
            answers.add(ErrorAnswer(*NO_ROUTE))
        if dependant.body_params:
            reads_body = True
            if any(type(p.field_info).__name__ in ("Form", "File") for p in dependant.body_params):
                answers.add(ErrorAnswer(*UNPARSABLE))
    answers |= {ErrorAnswer(r.cls.status_code, r.code, r.detail) for r in raised}
    if has_input or reads_body:
        answers.add(ErrorAnswer(*VALIDATION))
    if reads_body:
        answers.add(ErrorAnswer(*TOO_LARGE))
    if uses_session:
        answers.add(ErrorAnswer(*DATABASE_DOWN))
    return frozenset(answers)


def _answered(call: Callable[..., Any], *, follow: bool = True) -> set[ErrorAnswer]:
    """Error statuses a function answers by hand (``JSONResponse(..., status_code=503)``), itself or
    through a helper whose response it returns (``return _unavailable(...)``). Their body is not
    necessarily the Error shape, so they carry no code."""
    fn = _function(call)
    tree = _parse(fn.__code__, fn) if fn else None
    if fn is None or tree is None:
        return set()
    found: set[ErrorAnswer] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Response"):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "status_code" and isinstance(value, ast.Constant) and isinstance(value.value, int):
                    if value.value >= 400:
                        found.add(ErrorAnswer(value.value, None))
        elif follow and isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            helper = _function(resolve(node.value.func, _scope(fn, tree)))
            if helper is not None and helper is not fn:
                found |= _answered(helper, follow=False)
    return found


# --- the document ----------------------------------------------------------------------------------

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
#: Descriptions that say nothing about one operation (a router's blanket ``responses=``, FastAPI's own).
_GENERIC = {"Validation Error", *COMMON_ERRORS.values(), *(v.get("description") for v in ERROR_RESPONSES.values())}


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """The routes the document describes, however this FastAPI keeps included routers."""
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    for route in contexts(app.routes) if contexts else app.routes:
        if getattr(route, "include_in_schema", False) and getattr(route, "dependant", None) is not None:
            yield route


def answers_by_operation(app: FastAPI) -> dict[tuple[str, str], frozenset[ErrorAnswer]]:
    """(METHOD, path) -> the errors that operation can answer with; computed once per app. CSRF
    tokens are checked on unsafe methods only, so a GET never answers ``csrf_failed``."""
    cached: dict[tuple[str, str], frozenset[ErrorAnswer]] | None = getattr(app.state, "error_answers", None)
    if cached is None:
        cached = {}
        for route in _api_routes(app):
            answers = operation_errors(route)
            for method in route.methods:
                cached[(method, route.path_format)] = (
                    frozenset(a for a in answers if a.code != "csrf_failed") if method in SAFE_METHODS else answers
                )
        app.state.error_answers = cached
    return cached


def _response(status: int, answers: Iterable[ErrorAnswer], declared: dict[str, Any] | None) -> dict[str, Any]:
    sentences: dict[str, list[str]] = {}
    hand_built = False
    for answer in sorted(answers, key=lambda a: (a.code or "", a.detail or "")):
        if answer.code is None:
            hand_built = True
            continue
        said = sentences.setdefault(answer.code, [])
        if answer.detail and answer.detail not in said:
            said.append(answer.detail)
    by_code = {code: said[0] if said else None for code, said in sentences.items()}
    lines = [COMMON_ERRORS.get(str(status)) or HTTPStatus(status).phrase]
    if declared and declared.get("description") not in _GENERIC:
        lines.append(str(declared["description"]))
    if sentences:
        items = [f"- `{code}`" + (f": {' / '.join(said)}" if said else "") for code, said in sentences.items()]
        lines.append("`error` is one of:\n" + "\n".join(items))
    media: dict[str, Any] = {"schema": {"type": "object"} if hand_built else {"$ref": "#/components/schemas/Error"}}
    if by_code:
        media["examples"] = {
            code: {"summary": detail or code, "value": {"error": code, "detail": detail or "…", "field": None}}
            for code, detail in by_code.items()
        }
    entry = {k: v for k, v in (declared or {}).items() if k not in ("description", "content")}
    entry.update(
        {"description": "\n\n".join(lines), "content": {"application/json": media}, "x-error-codes": list(by_code)}
    )
    if status in (429, 503):
        entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    return entry


def describe_errors(schema: dict[str, Any], app: FastAPI) -> None:
    """Rewrite each operation's error responses (4xx/5xx) to what it can answer with; its 2xx/3xx
    stay as its route declared them, and a declared error entry keeps its own words."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    info = schema.setdefault("info", {})
    info["description"] = "\n\n".join(filter(None, [info.get("description"), EVERY_ADDRESS]))
    answers = answers_by_operation(app)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            found = answers.get((method.upper(), path)) if method in HTTP_METHODS else None
            if found is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            declared = {s: responses.pop(s) for s in list(responses) if s.isdigit() and int(s) >= 400}
            for status in sorted({a.status for a in found}):
                group = [a for a in found if a.status == status]
                responses[str(status)] = _response(status, group, declared.get(str(status)))
            operation["responses"] = dict(sorted(responses.items()))
    text = json.dumps(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text and unused != "Error":
            schema["components"]["schemas"].pop(unused, None)


def document_errors(app: FastAPI) -> None:
    """Serve the OpenAPI document with each operation's errors as :func:`describe_errors` finds them."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        describe_errors(schema, app)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
