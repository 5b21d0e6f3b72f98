"""The restricted expression language of process diagrams (Bedingungen, Parameter, Entscheidungstabellen).

Diagrams are uploaded by state and office administrators, so their expressions must never run code.
Every expression the process engine meets (gateway conditions, timer expressions, service task
parameters, DMN input expressions and entries) is parsed with :mod:`ast` and evaluated by walking the
tree here; Python's ``eval`` is never called.

Allowed:

- constants: strings, numbers, ``True``/``False``/``None`` (also written ``true``/``false``/``null``)
- names, looked up in the case data; a missing one raises :class:`MissingVariable`
- comparisons (``== != < <= > >= in not in is is not``, chained), ``and``/``or``/``not``
- arithmetic ``+ - * / // %`` and unary ``-``/``+`` (no repetition of strings or lists, no ``%`` formatting)
- ``a if condition else b``
- tuples, lists, sets and dicts built from the above
- subscripts with a constant key or index: ``answers["consent"]``, ``children[0]``, ``children[-1]``
- calls of a few functions only: ``len lower upper strip int float str bool abs min max round``
  (``lower(x)`` instead of ``x.lower()``), positional arguments only

Refused (:class:`ExpressionError`): attribute access (``x.y``, which is how ``__class__`` escapes
start), names beginning with an underscore, every other call, lambdas, comprehensions, ``**``,
bit operations, assignment expressions, f-strings with replacement fields, statements.

DMN input entries are *unary tests* (FEEL style) checked against the input value, see
:func:`matches_unary_tests`.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from oegd.core.services import DomainError

MAX_EXPRESSION_LENGTH = 2000
MAX_SEQUENCE_RESULT = 10_000  # items/characters an arithmetic operation may produce

DMN_INPUT_NAME = "dmninputexpr"  # what "?" in a DMN entry stands for (SpiffWorkflow's own name)

CONSTANT_NAMES = {"true": True, "false": False, "null": None}


class ExpressionError(DomainError):
    """An expression is not allowed or cannot be evaluated; the message names it."""

    def __init__(self, message: str, *, expression: str = "") -> None:
        super().__init__(message)
        self.expression = expression


class MissingVariable(DomainError):
    """An expression needs a value the case data does not hold (``name`` says which)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            _('The case data has no value for "%(name)s", which the process needs at this point.') % {"name": name}
        )
        self.name = name


def _lower(value: Any) -> str:
    return str(value).lower()


def _upper(value: Any) -> str:
    return str(value).upper()


def _strip(value: Any) -> str:
    return str(value).strip()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "lower": _lower,
    "upper": _upper,
    "strip": _strip,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}

_OPERATOR_SYMBOLS = {
    ast.Pow: "**",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
}


def _refusal(node: ast.AST) -> str:
    """Why a syntax element is not allowed, in words an administrator understands."""
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
        return _('the operator "%(operator)s" is not allowed') % {"operator": symbol}
    if isinstance(node, ast.Constant):
        return _("only text, numbers, True, False and None are allowed as constants")
    if isinstance(node, ast.NamedExpr):
        return _("assignments are not allowed")
    if isinstance(node, ast.Starred):
        return _("unpacking with * is not allowed")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func
    if isinstance(node, ast.Attribute):
        return _('attribute access ("%(attr)s") is not allowed') % {"attr": "." + node.attr}
    if isinstance(node, ast.Call):
        return _("only these functions may be called: %(names)s") % {"names": ", ".join(sorted(FUNCTIONS))}
    if isinstance(node, ast.Lambda):
        return _("lambda functions are not allowed")
    if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return _("comprehensions are not allowed")
    if isinstance(node, ast.JoinedStr):
        return _("f-strings with replacement fields are not allowed")
    if isinstance(node, ast.Name):
        return _('the name "%(name)s" is not allowed') % {"name": node.id}
    if isinstance(node, ast.Subscript):
        return _("only constant keys and indexes are allowed in subscripts")
    return _("%(construct)s is not allowed") % {"construct": type(node).__name__}


def _refuse(text: str, reason: str) -> ExpressionError:
    return ExpressionError(
        _('The expression "%(expression)s" was refused: %(reason)s.') % {"expression": text, "reason": reason},
        expression=text,
    )


def _check_node(node: ast.AST, text: str) -> None:
    """Refuse everything that is not on the allow list, recursively."""
    match node:
        case ast.Expression(body=body):
            _check_node(body, text)
        case ast.Constant(value=value):
            if not isinstance(value, str | int | float | bool | type(None)):
                raise _refuse(text, _refusal(node))
        case ast.Name(id=name, ctx=ast.Load()):
            if name.startswith("_"):
                raise _refuse(text, _refusal(node))
        case ast.BoolOp(values=values):
            for value in values:
                _check_node(value, text)
        case ast.UnaryOp(op=op, operand=operand) if type(op) in _UNARY:
            _check_node(operand, text)
        case ast.BinOp(op=op, left=left, right=right) if type(op) in _BINARY:
            _check_node(left, text)
            _check_node(right, text)
        case ast.Compare(left=left, comparators=comparators):
            if any(type(op) not in _COMPARE for op in node.ops):
                raise _refuse(text, _refusal(node))
            _check_node(left, text)
            for comparator in comparators:
                _check_node(comparator, text)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            for part in (test, body, orelse):
                _check_node(part, text)
        case ast.Tuple(elts=elts, ctx=ast.Load()) | ast.List(elts=elts, ctx=ast.Load()) | ast.Set(elts=elts):
            for element in elts:
                _check_node(element, text)
        case ast.Dict(keys=keys, values=values):
            for key in keys:
                if key is None:  # {**other}
                    raise _refuse(text, _refusal(node))
                _check_node(key, text)
            for value in values:
                _check_node(value, text)
        case ast.Subscript(value=value, slice=key, ctx=ast.Load()):
            if _constant_key(key) is _NOT_CONSTANT:
                raise _refuse(text, _refusal(node))
            _check_node(value, text)
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in FUNCTIONS:
            for arg in args:
                if isinstance(arg, ast.Starred):
                    raise _refuse(text, _refusal(arg))
                _check_node(arg, text)
        case ast.JoinedStr(values=values) if all(isinstance(v, ast.Constant) for v in values):
            pass
        case _:
            raise _refuse(text, _refusal(node))


_NOT_CONSTANT = object()


def _constant_key(node: ast.AST) -> Any:
    """The constant a subscript uses, or ``_NOT_CONSTANT``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int) and not isinstance(node.value, bool):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return _NOT_CONSTANT


@functools.lru_cache(maxsize=2048)
def _parse(text: str) -> ast.Expression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(_("An expression is empty."), expression=str(text or ""))
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _refuse(text[:80] + "…", _("it is longer than %(max)d characters") % {"max": MAX_EXPRESSION_LENGTH})
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise ExpressionError(
            _('The expression "%(expression)s" is not valid: %(detail)s.') % {"expression": text, "detail": detail},
            expression=text,
        ) from exc
    except (RecursionError, MemoryError) as exc:
        raise _refuse(text, _("it is nested too deeply")) from exc
    try:
        _check_node(tree, text)
    except RecursionError as exc:
        raise _refuse(text, _("it is nested too deeply")) from exc
    return tree


def check_expression(text: str) -> None:
    """Raise :class:`ExpressionError` unless ``text`` is an allowed expression (used at upload time)."""
    _parse(text)


def evaluate(text: str, data: Mapping[str, Any]) -> Any:
    """Evaluate an allowed expression against the case data (``data``), without ``eval``."""
    tree = _parse(text)
    try:
        return _Evaluator(text, data).visit(tree.body)
    except (ExpressionError, MissingVariable):
        raise
    except RecursionError as exc:
        raise _refuse(text, _("it is nested too deeply")) from exc
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError, KeyError) as exc:
        raise ExpressionError(
            _('The expression "%(expression)s" cannot be evaluated with the case data: %(detail)s.')
            % {"expression": text, "detail": str(exc) or type(exc).__name__},
            expression=text,
        ) from exc


class _Evaluator:
    """Walks a checked tree; every node type here was allowed by ``_check_node``."""

    def __init__(self, text: str, data: Mapping[str, Any]) -> None:
        self.text = text
        self.data = data

    def visit(self, node: ast.AST) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                if name in self.data:
                    return self.data[name]
                if name in CONSTANT_NAMES:
                    return CONSTANT_NAMES[name]
                raise MissingVariable(name)
            case ast.BoolOp(op=ast.And(), values=values):
                result: Any = True
                for value in values:
                    result = self.visit(value)
                    if not result:
                        return result
                return result
            case ast.BoolOp(values=values):  # Or
                result = False
                for value in values:
                    result = self.visit(value)
                    if result:
                        return result
                return result
            case ast.UnaryOp(op=unary_op, operand=operand):
                return _UNARY[type(unary_op)](self.visit(operand))
            case ast.BinOp(op=binary_op, left=left, right=right):
                return self._binary(binary_op, self.visit(left), self.visit(right))
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = self.visit(left)
                for compare_op, comparator in zip(ops, comparators, strict=True):
                    other = self.visit(comparator)
                    if not _COMPARE[type(compare_op)](current, other):
                        return False
                    current = other
                return True
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.visit(body) if self.visit(test) else self.visit(orelse)
            case ast.Tuple(elts=elts):
                return tuple(self.visit(e) for e in elts)
            case ast.List(elts=elts):
                return [self.visit(e) for e in elts]
            case ast.Set(elts=elts):
                return {self.visit(e) for e in elts}
            case ast.Dict(keys=keys, values=values):
                return {self.visit(k): self.visit(v) for k, v in zip(keys, values, strict=True) if k is not None}
            case ast.Subscript(value=value, slice=key):
                return self._subscript(node, self.visit(value), _constant_key(key))
            case ast.Call(func=ast.Name(id=name), args=args):
                return FUNCTIONS[name](*(self.visit(a) for a in args))
            case ast.JoinedStr(values=values):
                return "".join(str(v.value) for v in values if isinstance(v, ast.Constant))
        raise _refuse(self.text, _refusal(node))  # unreachable after the check, kept as a guard

    def _binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        sequence = (str, list, tuple, bytes)
        if isinstance(op, ast.Mult) and (isinstance(left, sequence) or isinstance(right, sequence)):
            raise _refuse(self.text, _("repeating text or lists with * is not allowed"))
        if isinstance(op, ast.Mod) and isinstance(left, str | bytes):
            raise _refuse(self.text, _("formatting text with % is not allowed"))
        result = _BINARY[type(op)](left, right)
        if isinstance(result, sequence) and len(result) > MAX_SEQUENCE_RESULT:
            raise _refuse(self.text, _("the result is too long"))
        return result

    def _subscript(self, node: ast.Subscript, container: Any, key: Any) -> Any:
        if isinstance(container, Mapping):
            if key not in container:
                raise MissingVariable(ast.unparse(node))
            return container[key]
        if isinstance(container, list | tuple | str):
            if not isinstance(key, int):
                raise ExpressionError(
                    _('The expression "%(expression)s" uses a text key on a list.') % {"expression": self.text},
                    expression=self.text,
                )
            try:
                return container[key]
            except IndexError:
                raise MissingVariable(ast.unparse(node)) from None
        raise ExpressionError(
            _('The expression "%(expression)s" uses a subscript on a value that has none.') % {"expression": self.text},
            expression=self.text,
        )


# --- DMN unary tests ---------------------------------------------------------------------------

_COMPARISON_PREFIX = re.compile(r"^(<=|>=|!=|==|<|>|=|not\s+in\b|in\b)\s*(.+)$", re.DOTALL)
_INTERVAL = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.DOTALL)
_NEGATION = re.compile(r"^not\s*\((.*)\)$", re.DOTALL)


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside quotes and brackets: ``"a","b"`` → ``['"a"', '"b"']``."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _replace_placeholder(text: str) -> str:
    """``? > 5`` → ``dmninputexpr > 5`` (question marks inside quotes stay)."""
    out, quote = [], ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "?":
            out.append(DMN_INPUT_NAME)
            continue
        out.append(char)
    return "".join(out)


def _unary_test_expressions(test: str) -> list[str]:
    """The plain expressions a single unary test (no top-level commas) consists of, for checking."""
    test = test.strip()
    if "?" in _strip_strings(test):
        return [_replace_placeholder(test)]
    if match := _INTERVAL.match(test):
        return [match.group(2), match.group(3)]
    if match := _COMPARISON_PREFIX.match(test):
        return [match.group(2)]
    return [test]


def _strip_strings(text: str) -> str:
    return re.sub(r"\"[^\"]*\"|'[^']*'", "", text)


def _is_any(text: str | None) -> bool:
    return text is None or text.strip() in ("", "-")


def check_unary_tests(text: str | None) -> None:
    """Raise :class:`ExpressionError` unless ``text`` is an allowed DMN input entry."""
    if _is_any(text):
        return
    assert text is not None
    body = text.strip()
    if match := _NEGATION.match(body):
        body = match.group(1)
    for test in _split_top_level(body):
        if not test:
            raise ExpressionError(
                _('The decision table entry "%(entry)s" has an empty part.') % {"entry": text}, expression=text
            )
        for expression in _unary_test_expressions(test):
            check_expression(expression)


def matches_unary_tests(text: str | None, value: Any, data: Mapping[str, Any]) -> bool:
    """Whether ``value`` (a DMN input) passes the input entry ``text``.

    Forms: ``-`` or empty (any value); ``"a", "b"`` (one of these; commas mean "or");
    ``< 5``, ``>= 18``, ``!= "x"``, ``in ("a", "b")``, ``not in [...]``; intervals ``[1..5]``,
    ``]1..5[``, ``(1..5)``; ``not("a", "b")``; an expression with ``?`` for the input (``? % 2 == 0``);
    any other expression is compared for equality (membership when it yields a list, tuple or set).
    """
    if _is_any(text):
        return True
    assert text is not None
    body = text.strip()
    negated = False
    if match := _NEGATION.match(body):
        body, negated = match.group(1), True
    scope = ChainMap({DMN_INPUT_NAME: value}, data)  # type: ignore[arg-type]
    matched = any(_unary_test_matches(test, value, scope) for test in _split_top_level(body))
    return matched != negated


def _unary_test_matches(test: str, value: Any, scope: Mapping[str, Any]) -> bool:
    if "?" in _strip_strings(test):
        return bool(evaluate(_replace_placeholder(test), scope))
    if match := _INTERVAL.match(test):
        opening, low, high, closing = match.groups()
        low_value, high_value = evaluate(low, scope), evaluate(high, scope)
        try:
            above = value >= low_value if opening == "[" else value > low_value
            below = value <= high_value if closing == "]" else value < high_value
        except TypeError as exc:
            raise ExpressionError(
                _('The decision table entry "%(entry)s" cannot compare the value %(value)r.')
                % {"entry": test, "value": value},
                expression=test,
            ) from exc
        return above and below
    if match := _COMPARISON_PREFIX.match(test):
        op, operand = match.group(1), match.group(2)
        op = re.sub(r"\s+", " ", op)
        other = evaluate(operand, scope)
        comparisons: dict[str, Callable[[Any, Any], bool]] = {
            "<": operator.lt,
            "<=": operator.le,
            ">": operator.gt,
            ">=": operator.ge,
            "=": operator.eq,
            "==": operator.eq,
            "!=": operator.ne,
            "in": lambda a, b: a in b,
            "not in": lambda a, b: a not in b,
        }
        try:
            return bool(comparisons[op](value, other))
        except TypeError as exc:
            raise ExpressionError(
                _('The decision table entry "%(entry)s" cannot compare the value %(value)r.')
                % {"entry": test, "value": value},
                expression=test,
            ) from exc
    expected = evaluate(test, scope)
    if isinstance(expected, list | tuple | set | frozenset) and not isinstance(value, list | tuple | set | frozenset):
        return value in expected
    return bool(value == expected)
