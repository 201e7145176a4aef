"""How a name in a function of ``nte`` resolves: its source read once, its locals (annotated,
or assigned from a call), its closure, its module's globals; a receiver of a known class."""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nte.errors import NTEError


@dataclass(frozen=True)
class Raised:
    """An error a function raises: its class, its code (None when it cannot be read) and its sentence."""

    cls: type[NTEError]
    code: str | None
    detail: str | None


@dataclass(frozen=True)
class Instance:
    """A local value of a known ``nte`` class (a receiver whose methods can be followed)."""

    cls: type


#: Abstract values: the strings an expression can be. ``None`` is Python's None, ``UNKNOWN`` anything.
UNKNOWN: Any = object()
Value = frozenset


def is_nte(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "nte" or module.startswith("nte.")


def is_error_class(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, NTEError)


def plain_function(obj: object) -> Callable[..., Any] | None:
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
    if inspect.isfunction(obj) and is_nte(obj):
        return obj
    return None


@functools.cache
def parse(code: types.CodeType, fn: Callable[..., Any]) -> ast.AST | None:
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


class Scope:
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
            return Instance(self.types[name])
        if name in self.assigned:
            return None  # a local: only its type (above) or its assigned calls (_Walk) say anything
        if name in self.nonlocals:
            return self.nonlocals[name]
        return self.globals.get(name)


_ANNOTATIONS: dict[tuple[Any, ...], type | None] = {}
_SCOPES: dict[tuple[types.CodeType, type | None], Scope] = {}


def scope_of(fn: Callable[..., Any], tree: ast.AST, self_type: type | None = None) -> Scope:
    key = (fn.__code__, self_type)
    if key not in _SCOPES or _SCOPES[key].fn is not fn:
        _SCOPES[key] = Scope(fn, tree, self_type)
    return _SCOPES[key]


def _class_in(hint: Any) -> type | None:
    if isinstance(hint, type):
        return hint if is_nte(hint) else None
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


def resolve(expr: ast.expr, scope: Scope, seen: frozenset[str] = frozenset()) -> Any:
    """The object an expression names (a module, class, function), an :class:`Instance`, or None."""
    if isinstance(expr, ast.Name):
        found = scope.lookup(expr.id)
        if found is None and expr.id in scope.assigned and expr.id not in seen:
            for value in scope.assigned[expr.id]:
                if isinstance(value, ast.Call) and (cls := made_class(value, scope, seen | {expr.id})):
                    return Instance(cls)
        return found
    if isinstance(expr, ast.Attribute):
        base = resolve(expr.value, scope, seen)
        if isinstance(base, Instance):
            return inspect.getattr_static(base.cls, expr.attr, None)
        if isinstance(base, (types.ModuleType, type)):
            return getattr(base, expr.attr, None)
        return None
    if isinstance(expr, ast.Call):
        cls = made_class(expr, scope, seen)
        return Instance(cls) if cls else None
    return None


def made_class(call: ast.Call, scope: Scope, seen: frozenset[str] = frozenset()) -> type | None:
    """The ``nte`` class of what a call returns: a constructor's class, or a function's annotation."""
    target = resolve(call.func, scope, seen)
    if isinstance(target, type):
        return target if is_nte(target) and not is_error_class(target) else None
    fn = plain_function(target)
    return _return_class(fn) if fn else None
