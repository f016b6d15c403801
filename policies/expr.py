"""A safe evaluator for policy check expressions.

Expressions are parsed with :mod:`ast` and walked by hand; only a small grammar is allowed:
comparisons (``<``, ``<=``, ``==``, ``!=``, ``>=``, ``>``, ``in``), ``and``/``or``/``not``,
arithmetic (``+ - * / // % **``, unary minus), numbers, strings, ``True``/``False``/``None``,
lists/tuples, names, dotted attributes, string subscripts (``fairness["race x gender"]``) and
calls of a few functions (:data:`FUNCTIONS`). Nothing is ever passed to ``eval``/``exec``.

Names resolve through a :class:`Resolver`; a name whose data is absent raises
:class:`MissingInput`, which the engine turns into the ``no-data`` status.
"""

from __future__ import annotations

import ast
import math
import operator
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from audits.errors import AssayError


class MissingInput(Exception):
    """An input named by the expression is absent from this run (-> status no-data)."""

    def __init__(self, name: str, why: str = "not in this run's results"):
        self.name = name
        self.why = why
        super().__init__(f"{name}: {why}")


class NotInTask(MissingInput):
    """A task-level name the current task does not have: the task is outside the check's scope."""


class Resolver(Protocol):
    def resolve(self, path: tuple[str, ...]) -> Any:
        """Value of a dotted name such as ('fairness', 'gender', 'demographic_parity_ratio')."""


def _values(x: Any) -> list[Any]:
    if isinstance(x, dict):
        x = list(x.values())
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"expected a list or mapping, got {type(x).__name__}")
    vals = [v for v in x if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return vals


def _agg(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        if len(args) == 1:
            vals = _values(args[0])
            if not vals:
                raise MissingInput(f"{fn.__name__}(...)", "no values to aggregate")
            return fn(vals)
        return fn(args)
    call.__name__ = fn.__name__
    return call


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": _agg(min),
    "max": _agg(max),
    "sum": lambda x: sum(_values(x)),
    "len": lambda x: len(_values(x)),
    "all": lambda x: all(_values(x)),
    "any": lambda x: any(_values(x)),
    "abs": abs,
    "round": round,
}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
             ast.In: "in", ast.NotIn: "not in"}
MAX_LENGTH = 500
# Resource limits while evaluating (a pack is data, but a hostile or careless one must not exhaust the host).
MAX_INT_BITS = 1024      # integer operands and results (about 10**308, the float range)
MAX_EXPONENT = 100       # |exponent| of **
MAX_SEQUENCE = 10_000    # length of a string or list built by * or +
MAX_SECONDS = 1.0        # wall time for one evaluation


class LimitExceeded(ValueError):
    """An expression went past a resource limit (the engine reports it as a one-line error)."""


def _check_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"an integer larger than {MAX_INT_BITS} bits")
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_SEQUENCE:
        raise LimitExceeded(f"a string or list longer than {MAX_SEQUENCE:,}")
    return value


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    """One arithmetic step, refused before it could allocate or compute past the limits."""
    ints = all(isinstance(x, int) and not isinstance(x, bool) for x in (left, right))
    if isinstance(op, ast.Pow):
        if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise LimitExceeded(f"an exponent above {MAX_EXPONENT}")
        if ints and right > 0 and abs(left).bit_length() * right > MAX_INT_BITS:
            raise LimitExceeded(f"a power larger than {MAX_INT_BITS} bits")
    if isinstance(op, ast.Mult):
        seq, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * max(count, 0) > MAX_SEQUENCE:
            raise LimitExceeded(f"a repetition longer than {MAX_SEQUENCE:,}")
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"a product larger than {MAX_INT_BITS} bits")
    return _check_size(_BINOPS[type(op)](left, right))


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression: ``names`` are the dotted names it reads."""

    source: str
    tree: ast.Expression
    names: tuple[tuple[str, ...], ...]

    def evaluate(self, resolver: Resolver) -> Any:
        return _Eval(resolver).visit(self.tree.body)

    def comparison(self, resolver: Resolver) -> tuple[Any, str] | None:
        """(measured value, 'op threshold') for a top-level single comparison, else None."""
        body = self.tree.body
        if isinstance(body, ast.Compare) and len(body.ops) == 1:
            ev = _Eval(resolver)
            left = ev.visit(body.left)
            right = ev.visit(body.comparators[0])
            return left, f"{_CMP_TEXT[type(body.ops[0])]} {_fmt(right)}"
        return None


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return repr(x) if isinstance(x, str) else str(x)


def dotted(node: ast.AST) -> tuple[str, ...] | None:
    """('a','b','c') for ``a.b.c`` or ``a["b"].c``; None for anything else."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            parts.append(node.slice.value)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return tuple(reversed(parts))
        else:
            return None


_ALLOWED = (ast.Expression, ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
            ast.UAdd, ast.BinOp, ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Load,
            ast.List, ast.Tuple, *_BINOPS, *_CMPOPS)


def parse(source: str, where: str = "expression") -> Expression:
    """Parse and check an expression; AssayError naming ``where`` on anything not allowed."""
    if not isinstance(source, str) or not source.strip():
        raise AssayError(f"{where}: the check expression is empty", "write e.g. 'accuracy >= 0.85'")
    if len(source) > MAX_LENGTH:
        raise AssayError(f"{where}: the check expression is longer than {MAX_LENGTH} characters",
                         "split it into several controls")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as err:
        raise AssayError(f"{where}: check {source!r} is not a valid expression ({err.msg})",
                         "write a comparison such as 'accuracy >= 0.85'") from None
    names: list[tuple[str, ...]] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise AssayError(f"{where}: check {source!r} uses {type(node).__name__}, which is not allowed",
                             "use only comparisons, and/or/not, arithmetic, numbers, names and "
                             f"the functions {', '.join(sorted(FUNCTIONS))}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                shown = ast.unparse(node.func)
                raise AssayError(f"{where}: check {source!r} calls {shown}(), which is not allowed",
                                 f"use only {', '.join(sorted(FUNCTIONS))} (positional arguments)")
        if isinstance(node, ast.Subscript):
            if dotted(node) is None:
                raise AssayError(f"{where}: check {source!r} indexes with something other than a string",
                                 'write e.g. fairness["race x gender"].demographic_parity_ratio')
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
            raise AssayError(f"{where}: check {source!r} contains a {type(node.value).__name__} constant",
                             "use numbers and strings only")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise AssayError(f"{where}: check {source!r} reads a private name {node.attr!r}",
                             "names must not start with an underscore")
    # collect maximal dotted names (not the function names of calls)
    func_nodes = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and dotted(node) is not None:
            inner.add(id(node.value))
    for node in ast.walk(tree):
        if id(node) in func_nodes or id(node) in inner:
            continue
        path = dotted(node) if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) else None
        if path is not None and path[0].startswith("_"):
            raise AssayError(f"{where}: check {source!r} reads a private name {path[0]!r}",
                             "names must not start with an underscore")
        if path is not None and path not in names and path not in (("True",), ("False",), ("None",)):
            names.append(path)
    return Expression(source.strip(), tree, tuple(names))


class _Eval:
    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self.deadline = time.monotonic() + MAX_SECONDS

    def visit(self, node: ast.AST) -> Any:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"more than {MAX_SECONDS:g}s of evaluation")
        if isinstance(node, ast.Constant):
            return _check_size(node.value)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            path = dotted(node)
            assert path is not None  # checked by parse()
            value = self.resolver.resolve(path)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                raise MissingInput(".".join(path), "has no value in this run")
            return value
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                result: Any = True
                for v in node.values:
                    result = self.visit(v)
                    if not result:
                        return result
                return result
            result = False
            for v in node.values:
                result = self.visit(v)
                if result:
                    return result
            return result
        if isinstance(node, ast.UnaryOp):
            val = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return not val
            return -val if isinstance(node.op, ast.USub) else +val
        if isinstance(node, ast.BinOp):
            left, right = self.visit(node.left), self.visit(node.right)
            return _binop(node.op, left, right)
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            for op, comp in zip(node.ops, node.comparators):
                right = self.visit(comp)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Call):
            fn = FUNCTIONS[node.func.id]  # type: ignore[union-attr]
            return fn(*[self.visit(a) for a in node.args])
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.visit(e) for e in node.elts]
        raise ValueError(f"unsupported syntax {type(node).__name__}")  # unreachable after parse()
