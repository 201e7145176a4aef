"""What a function of ``nte`` can raise: its own ``raise`` statements and what the functions it
calls raise, less what a ``try`` around them catches."""

from __future__ import annotations

import ast
import inspect
import types
from collections.abc import Iterable, Iterator

from nte.web.openapi.constructors import construct
from nte.web.openapi.names import (
    Instance,
    Raised,
    Scope,
    is_error_class,
    is_nte,
    parse,
    plain_function,
    resolve,
    scope_of,
)

#: How deep calls are followed from an endpoint or a dependency.
MAX_DEPTH = 40


class Analysis:
    """What the functions of ``nte`` can raise, each read once (shared by every app in the process:
    the code does not change while it runs)."""

    def __init__(self) -> None:
        self._raises: dict[tuple[types.CodeType, type | None], frozenset[Raised]] = {}
        self._returns: dict[types.CodeType, frozenset[Raised]] = {}
        self._reads_body: dict[types.CodeType, bool] = {}
        # The functions being read, outermost first, and whether each one's answer is partial: a
        # function reached again while it is being read (a cycle) adds nothing there, so those
        # between are not remembered (read again when met later); the cycle's first stays whole.
        self._stack: list[tuple[types.CodeType, type | None]] = []
        self._partial: set[int] = set()

    # --- what a callable raises, following its calls ---------------------------------------------

    def raises(self, obj: object, *, self_type: type | None = None, depth: int = 0) -> frozenset[Raised]:
        fn = plain_function(obj)
        if fn is None:
            if isinstance(obj, type) and is_nte(obj) and not is_error_class(obj):
                return self.raises(vars(obj).get("__init__"), self_type=obj, depth=depth)
            if not isinstance(obj, type) and is_nte(type(obj)) and callable(obj):
                return self.raises(type(obj).__call__, self_type=type(obj), depth=depth)
            return frozenset()
        key = (fn.__code__, self_type)
        if key in self._raises:
            return self._raises[key]
        if key in self._stack or depth > MAX_DEPTH:
            first = self._stack.index(key) + 1 if key in self._stack else 0
            self._partial.update(range(first, len(self._stack)))
            return frozenset()
        tree = parse(fn.__code__, fn)
        if tree is None:
            return frozenset()
        self._stack.append(key)
        try:
            walk = _Walk(self, scope_of(fn, tree, self_type), depth)
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
        fn = plain_function(obj)
        if fn is None:
            return False
        self.raises(fn)
        return self._reads_body.get(fn.__code__, False)

    def returned(self, obj: object, depth: int = 0) -> frozenset[Raised]:
        """The errors a helper returns for its caller to raise (``raise refusal_for(...)``)."""
        fn = plain_function(obj)
        if fn is None or depth > MAX_DEPTH:
            return frozenset()
        if fn.__code__ in self._returns:
            return self._returns[fn.__code__]
        self._returns[fn.__code__] = frozenset()  # a cycle finds nothing more
        tree = parse(fn.__code__, fn)
        found: set[Raised] = set()
        if tree is not None:
            scope = scope_of(fn, tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Return):
                    for call in outcomes(node.value):
                        found |= self.built(call, scope, depth + 1)
        self._returns[fn.__code__] = frozenset(found)
        return self._returns[fn.__code__]

    def built(self, call: ast.Call, scope: Scope, depth: int) -> set[Raised]:
        """The errors an expression ``X(...)`` makes: an error class, or a helper returning one."""
        target = resolve(call.func, scope)
        if is_error_class(target):
            return construct(target, call, scope)
        return set(self.returned(target, depth))


def outcomes(expr: ast.expr | None) -> Iterator[ast.Call]:
    """The calls an expression's value can be: itself, either branch of ``a if c else b``, ``a or b``."""
    if isinstance(expr, ast.Call):
        yield expr
    elif isinstance(expr, ast.IfExp):
        yield from outcomes(expr.body)
        yield from outcomes(expr.orelse)
    elif isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from outcomes(value)


class _Walk:
    """One function's body: its raises, and the errors of what it calls, less what a ``try`` catches."""

    def __init__(self, analysis: Analysis, scope: Scope, depth: int) -> None:
        self.analysis = analysis
        self.scope = scope
        self.depth = depth
        self.raised: set[Raised] = set()
        self.reads_body = False

    def add(self, found: Iterable[Raised], caught: tuple[type, ...]) -> None:
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

    def _raise(self, exc: ast.expr) -> set[Raised]:
        if isinstance(exc, ast.Call):
            return self.analysis.built(exc, self.scope, self.depth + 1)
        if isinstance(exc, ast.Name) and exc.id in self.scope.caught:
            return set()  # re-raising what a handler caught: counted where it was raised
        if isinstance(exc, ast.Name) and exc.id in self.scope.assigned:
            found: set[Raised] = set()
            for value in self.scope.assigned[exc.id]:
                for call in outcomes(value):
                    found |= self.analysis.built(call, self.scope, self.depth + 1)
            return found
        target = resolve(exc, self.scope)
        if is_error_class(target):
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
            if isinstance(receiver, Instance):
                self_type = receiver.cls
        if isinstance(target, Instance):
            target, self_type = inspect.getattr_static(target.cls, "__call__", None), target.cls
        if not is_error_class(target):
            self.add(self.analysis.raises(target, self_type=self_type, depth=self.depth + 1), caught)
        # A function handed on to be called (a callback, a budget): what it raises counts too.
        for arg in (*call.args, *(k.value for k in call.keywords)):
            if isinstance(arg, (ast.Name, ast.Attribute)) and plain_function(passed := resolve(arg, self.scope)):
                self.add(self.analysis.raises(passed, depth=self.depth + 1), caught)
