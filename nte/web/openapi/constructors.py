"""What an error's constructor makes of its arguments: the ``code`` and sentence of ``X(...)``,
followed through each ``__init__`` up to :class:`nte.errors.NTEError`'s."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Any

from nte.errors import LoginRequired, NTEError
from nte.web.openapi.names import UNKNOWN, Raised, Scope, Value, is_nte, parse, plain_function, resolve, scope_of


def strings(expr: ast.expr | None, env: dict[str, Value], scope: Scope | None) -> Value:
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
        return strings(expr.body, env, scope) | strings(expr.orelse, env, scope)
    if isinstance(expr, ast.Name):
        if expr.id in env:
            return env[expr.id]
        if scope is not None and expr.id not in scope.assigned:
            value = scope.lookup(expr.id)
            if isinstance(value, str):
                return frozenset({value})
        return frozenset({UNKNOWN})
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("N_", "_", "gettext"):
        return strings(expr.args[0], env, scope) if expr.args else frozenset({UNKNOWN})
    if isinstance(expr, ast.Subscript) and scope is not None:
        return _tuple_element(expr, scope)
    return frozenset({UNKNOWN})


def _tuple_element(expr: ast.Subscript, scope: Scope) -> Value:
    """``problem[0]`` where ``problem = helper(...)`` and the helper returns literal tuples."""
    index = expr.slice
    if not (isinstance(expr.value, ast.Name) and isinstance(index, ast.Constant) and isinstance(index.value, int)):
        return frozenset({UNKNOWN})
    found: set[Any] = set()
    for value in scope.assigned.get(expr.value.id, []):
        fn = plain_function(resolve(value.func, scope)) if isinstance(value, ast.Call) else None
        items = _returned_tuples(fn, index.value, 0) if fn else None
        found |= items if items else {UNKNOWN}
    return frozenset(found or {UNKNOWN})


def _returned_tuples(fn: Callable[..., Any], index: int, depth: int) -> set[Any] | None:
    tree = parse(fn.__code__, fn)
    if tree is None or depth > 3:
        return None
    scope = scope_of(fn, tree)
    found: set[Any] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = node.value
        if isinstance(value, ast.Tuple) and len(value.elts) > index:
            found |= strings(value.elts[index], {}, scope)
        elif isinstance(value, ast.Call) and (inner := plain_function(resolve(value.func, scope))):
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


def construct(cls: type[NTEError], call: ast.Call | None, scope: Scope) -> set[Raised]:
    """The code(s) and sentence of ``cls(...)``: its arguments followed through each ``__init__`` up
    to :class:`NTEError`'s (``detail``, ``code``); no ``code`` given means the class's own."""
    if issubclass(cls, LoginRequired):
        return set()  # a page's sign-in redirect (303), not an error answer
    args: list[Value] = []
    kwargs: dict[str, Value] = {}
    if call is not None:
        args = [strings(a, {}, scope) for a in call.args if not isinstance(a, ast.Starred)]
        kwargs = {k.arg: strings(k.value, {}, scope) for k in call.keywords if k.arg}
    at: type = cls
    for _ in range(10):
        owner = next((k for k in at.__mro__ if "__init__" in vars(k)), NTEError)
        init = vars(owner)["__init__"]
        if owner is NTEError or not issubclass(owner, NTEError) or not is_nte(owner):
            env = _bind(NTEError.__init__, args, kwargs)
            break
        env = _bind(init, args, kwargs)
        tree = parse(init.__code__, init)
        parent_call = _super_call(tree) if tree is not None else None
        if parent_call is None:
            break
        init_scope = scope_of(init, tree) if tree is not None else None
        args = [strings(a, env, init_scope) for a in parent_call.args if not isinstance(a, ast.Starred)]
        kwargs = {}
        for keyword in parent_call.keywords:
            if keyword.arg:
                kwargs[keyword.arg] = strings(keyword.value, env, init_scope)
            elif isinstance(keyword.value, ast.Name):
                kwargs.update(env.get("**" + keyword.value.id, {}))
        at = owner.__mro__[1]
    details = env.get("detail", frozenset({UNKNOWN}))
    detail = next(iter(details)) if len(details) == 1 else None
    detail = detail if isinstance(detail, str) else None
    codes = env.get("code", frozenset({None}))
    return {
        Raised(cls, code if isinstance(code, str) and code else (None if code is UNKNOWN else cls.code), detail)
        for code in codes
    }
