"""The search language of ``modelreg list --where``: a tokenizer and a recursive-descent parser.

    auc >= 0.9 and framework == 'xgboost' and stage in ('staging', 'production')

Parsing gives a tree of plain values (``Compare``, ``IsNull``, ``And``, ``Or``, ``Not``); it
knows no field. ``modelreg.queries.search`` resolves the field names against a registry and
turns the tree into a predicate. Nothing here evaluates Python: the only error it raises is
``ExpressionError``, which names the column of the offending text.

Grammar, lowest precedence first (keywords in any case)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "(" expr ")" | "exists" "(" FIELD ")" | comparison
    comparison := operand ( ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
                          | ["not"] "in" ( "(" value ("," value)* ")" | operand )
                          | ("~" | "matches") operand
                          | "is" ["not"] "null" )
    operand    := FIELD | value
    value      := 'text' | "text" | NUMBER | "-" NUMBER | "true" | "false"
"""

from __future__ import annotations

from typing import Any
from typing import Literal as TypingLiteral

from modelreg.domain.errors import ExpressionError

MAX_LENGTH = 4000  # characters of one expression
MAX_DEPTH = 50  # nested parentheses and "not"s: a parser that recurses must stop somewhere

Scalar = str | float | int | bool
Operator = TypingLiteral["==", "!=", "<", "<=", ">", ">=", "in", "not in", "~"]
KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "matches", "exists"}

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_REST = _NAME_START | frozenset("0123456789.-/")
_DIGITS = frozenset("0123456789")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "~", "(", ")", ",", "-")  # longest first


class _Plain:
    """A value compared by its type and slots (dataclasses made module import slow: each
    writes and compiles its methods, a third of a warm `list --where`'s own time)."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Token(_Plain):
    __slots__ = ("column", "kind", "text", "value")

    def __init__(self, kind: str, text: str, column: int, value: Scalar | None = None) -> None:
        self.kind = kind  # number, field, keyword, string, op, end
        self.text = text  # the source text (a string: its value, unquoted)
        self.column = column  # 1-based
        self.value = value


class Field(_Plain):
    """A field as written: ``auc``, ``metrics.auc``, ``stage`` (resolved by the search)."""

    __slots__ = ("column", "name")

    def __init__(self, name: str, column: int) -> None:
        self.name = name
        self.column = column


class Value(_Plain):
    __slots__ = ("column", "value")

    def __init__(self, value: Scalar, column: int) -> None:
        self.value = value
        self.column = column


class ValueList(_Plain):
    __slots__ = ("column", "items")

    def __init__(self, items: tuple[Value, ...], column: int) -> None:
        self.items = items
        self.column = column


class Compare(_Plain):
    __slots__ = ("column", "left", "op", "right")

    def __init__(
        self, left: Field | Value, op: Operator, right: Field | Value | ValueList, column: int
    ) -> None:
        self.left = left
        self.op = op
        self.right = right
        self.column = column  # of the operator


class IsNull(_Plain):
    __slots__ = ("field", "negated")

    def __init__(self, field: Field, *, negated: bool) -> None:
        self.field = field
        self.negated = negated  # ``is not null``, ``exists(field)``


class And(_Plain):
    __slots__ = ("items",)

    def __init__(self, items: tuple[Node, ...]) -> None:
        self.items = items


class Or(_Plain):
    __slots__ = ("items",)

    def __init__(self, items: tuple[Node, ...]) -> None:
        self.items = items


class Not(_Plain):
    __slots__ = ("item",)

    def __init__(self, item: Node) -> None:
        self.item = item


Node = Compare | IsNull | And | Or | Not


def parse(text: str) -> Node:
    """The tree of ``text``; ExpressionError (with the column) when it is not an expression."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters", text, MAX_LENGTH + 1)
    parser = _Parser(text, tokenize(text))
    if parser.peek().kind == "end":
        raise ExpressionError("empty expression: write a condition such as auc >= 0.9", text, 1)
    node = parser.expression(0)
    end = parser.peek()
    if end.kind != "end":
        raise ExpressionError(f"unexpected {_shown(end)}: expected and, or or the end", text, end.column)
    return node


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char.isspace():
            at += 1
        elif char in ("'", '"'):
            token, at = _string(text, at)
            tokens.append(token)
        elif char in _DIGITS or (char == "." and text[at + 1 : at + 2] in _DIGITS):
            token, at = _number(text, at)
            tokens.append(token)
        elif char in _NAME_START:
            end = at + 1
            while end < len(text) and text[end] in _NAME_REST:
                end += 1
            word = text[at:end]
            lowered = word.lower()
            tokens.append(Token("keyword" if lowered in KEYWORDS else "field", word, at + 1, lowered))
            at = end
        elif char == "`":  # `a metric name with spaces`
            end = text.find("`", at + 1)
            if end < 0:
                raise ExpressionError("unterminated `field name`: no closing `", text, at + 1)
            if end == at + 1:
                raise ExpressionError("empty `field name`", text, at + 1)
            tokens.append(Token("field", text[at + 1 : end], at + 1))
            at = end + 1
        else:
            op = next((op for op in _OPERATORS if text.startswith(op, at)), None)
            if op is None:
                raise ExpressionError(_unexpected(char), text, at + 1)
            tokens.append(Token("op", op, at + 1))
            at += len(op)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _number(text: str, start: int) -> tuple[Token, int]:
    """The number at ``start``: digits, a fraction, an exponent; not followed by a letter."""
    end = start
    while end < len(text) and (text[end] in _DIGITS or text[end] == "."):
        end += 1
    if end < len(text) and text[end] in "eE":
        sign = 1 if text[end + 1 : end + 2] in ("+", "-") else 0
        if text[end + 1 + sign : end + 2 + sign] in _DIGITS and text[end + 1 + sign : end + 2 + sign]:
            end += 1 + sign
            while end < len(text) and text[end] in _DIGITS:
                end += 1
    word = text[start:end]
    if word.count(".") > 1 or (end < len(text) and text[end] in _NAME_REST):
        raise ExpressionError("malformed number", text, start + 1)
    number: float | int = float(word) if any(c in word for c in ".eE") else int(word)
    return Token("number", word, start + 1, number), end


def _string(text: str, start: int) -> tuple[Token, int]:
    """The string literal opening at ``start``: backslash escapes its quote and itself."""
    quote = text[start]
    chars: list[str] = []
    at = start + 1
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text) and text[at + 1] in (quote, "\\"):
            chars.append(text[at + 1])
            at += 2
        elif char == quote:
            value = "".join(chars)
            return Token("string", value, start + 1, value), at + 1
        else:
            chars.append(char)
            at += 1
    raise ExpressionError(f"unterminated string: no closing {quote}", text, start + 1)


def _unexpected(char: str) -> str:
    if char == "=":
        return "unexpected '=': write == to compare"
    return f"unexpected character {char!r}"


def _shown(token: Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "string":
        return "a string"
    return repr(token.text)


_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.at = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.at += 1
        return token

    def is_keyword(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "keyword" and token.value == word

    def is_op(self, op: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text == op

    def fail(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, self.text, token.column)

    def expect_op(self, op: str, what: str) -> None:
        if not self.is_op(op):
            raise self.fail(f"expected {op!r} {what}, found {_shown(self.peek())}", self.peek())
        self.take()

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} deep", self.peek())
        items = [self.conjunction(depth)]
        while self.is_keyword("or"):
            self.take()
            items.append(self.conjunction(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self, depth: int) -> Node:
        items = [self.negation(depth)]
        while self.is_keyword("and"):
            self.take()
            items.append(self.negation(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def negation(self, depth: int) -> Node:
        if self.is_keyword("not"):
            if depth > MAX_DEPTH:
                raise self.fail(f"nested more than {MAX_DEPTH} deep", self.peek())
            self.take()
            return Not(self.negation(depth + 1))
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        if self.is_op("("):
            self.take()
            node = self.expression(depth + 1)
            self.expect_op(")", "to close the parenthesis")
            return node
        if self.is_keyword("exists") and self.peek(1).kind == "op" and self.peek(1).text == "(":
            self.take()
            self.take()
            field = self.field("exists(...)")
            self.expect_op(")", "after the field of exists(")
            return IsNull(field, negated=True)
        return self.comparison()

    def field(self, where: str) -> Field:
        token = self.peek()
        if token.kind != "field":
            raise self.fail(f"expected a field name in {where}, found {_shown(token)}", token)
        self.take()
        return Field(token.text, token.column)

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARISONS:
            self.take()
            return Compare(left, token.text, self.operand(), token.column)  # type: ignore[arg-type]
        if (token.kind == "op" and token.text == "~") or self.is_keyword("matches"):
            self.take()
            return Compare(left, "~", self.operand(), token.column)
        if self.is_keyword("in"):
            self.take()
            return Compare(left, "in", self.collection(), token.column)
        if self.is_keyword("not") and self.is_keyword("in", 1):
            self.take()
            self.take()
            return Compare(left, "not in", self.collection(), token.column)
        if self.is_keyword("is"):
            return self.null_test(left)
        expected = "expected an operator (==, !=, <, >=, in, ~, is null...)"
        raise self.fail(f"{expected}, found {_shown(token)}", token)

    def null_test(self, left: Field | Value) -> Node:
        self.take()
        negated = self.is_keyword("not")
        if negated:
            self.take()
        if not self.is_keyword("null"):
            raise self.fail(f"expected null after is, found {_shown(self.peek())}", self.peek())
        self.take()
        if not isinstance(left, Field):
            raise self.fail("is null tests a field, not a value", self.tokens[self.at - 2])
        return IsNull(left, negated=negated)

    def collection(self) -> Field | Value | ValueList:
        if not self.is_op("("):
            return self.operand()
        opening = self.take()
        items = [self.value()]
        while self.is_op(","):
            self.take()
            items.append(self.value())
        self.expect_op(")", "to close the list")
        return ValueList(tuple(items), opening.column)

    def operand(self) -> Field | Value:
        if self.peek().kind == "field":
            token = self.take()
            return Field(token.text, token.column)
        return self.value()

    def value(self) -> Value:
        token = self.peek()
        if token.kind in ("string", "number"):
            self.take()
            assert token.value is not None
            return Value(token.value, token.column)
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.take()
            return Value(token.value == "true", token.column)
        if token.kind == "op" and token.text == "-" and self.peek(1).kind == "number":
            self.take()
            number = self.take().value
            assert isinstance(number, int | float)
            return Value(-number, token.column)
        raise self.fail(f"expected a value, found {_shown(token)}", token)
