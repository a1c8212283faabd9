"""Rule conditions in CEL: compiled once by the `cel` library, type-checked by us against a declared schema.

The library parses and runs CEL and reports syntax errors with a position, but it checks no types: a rule
comparing `event.days_overdue` with "30" would compile, then fail (or quietly be false) the day it mattered.
So a rule is checked when it is saved: this module reads the expression a second time with a small Pratt
parser that infers the type of every sub-expression from the trigger's schema (`schema.py`) and refuses
unknown names, unknown fields, and operators or functions applied to the wrong types, with the line and
column of the fault, in the same "line:column" form the library uses for syntax errors.

It covers the CEL that rules need: literals, field selection, indexing, the operators, the ternary, lists
and maps, `has()`, the comprehension macros (all, exists, exists_one, map, filter), the string functions,
`size()` and the conversions. Anything else is refused as "not available in rules" rather than guessed at.
"""

import functools
import re
from dataclasses import dataclass

import cel

from frontline.core.errors import ServiceError


class ExpressionError(Exception):
    """A condition that cannot be a rule: `line` and `column` say where (1-based), `message` says what."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        self.message, self.line, self.column = message, line, column
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(where + message)


# ---------------------------------------------------------------- types


@dataclass(frozen=True)
class ListOf:
    item: object

    def __str__(self) -> str:
        return f"list({self.item})"


@dataclass(frozen=True)
class MapOf:
    key: object
    value: object

    def __str__(self) -> str:
        return f"map({self.key}, {self.value})"


@dataclass(frozen=True)
class Record:
    """A declared object of the context (the event, the unit...): named fields with their types."""

    name: str
    fields: tuple[tuple[str, object], ...]

    def field(self, name: str):
        return dict(self.fields).get(name)

    def __str__(self) -> str:
        return self.name


INT, UINT, DOUBLE, STRING, BOOL, BYTES = "int", "uint", "double", "string", "bool", "bytes"
NULL, TIMESTAMP, DURATION, DYN = "null_type", "timestamp", "duration", "dyn"
NUMBERS = {INT, UINT, DOUBLE}


def _same(a, b) -> bool:
    return a == b or DYN in (a, b)


def _joined(a, b):
    """The type of `c ? a : b`, or of a list holding both."""
    if a == b or b == NULL:
        return a
    if a == NULL:
        return b
    return DYN


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<number>0x[0-9a-fA-F]+u?|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+u?)
  | (?P<string>[rR]?[bB]?[rR]?(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%?:.,\[\](){}])
    """,
    re.VERBOSE,
)


@dataclass
class Token:
    kind: str  # number, string, name, op, end
    text: str
    line: int
    column: int


def _tokens(source: str) -> list[Token]:
    out, pos, line, line_start = [], 0, 1, 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match:
            raise ExpressionError(f"unexpected character {source[pos]!r}", line, pos - line_start + 1)
        kind = match.lastgroup
        if kind != "space":
            out.append(Token(kind, match.group(), line, pos - line_start + 1))
        for offset, char in enumerate(match.group()):
            if char == "\n":
                line, line_start = line + 1, pos + offset + 1
        pos = match.end()
    out.append(Token("end", "", line, pos - line_start + 1))
    return out


# ---------------------------------------------------------------- functions

# Methods on a receiver type: name -> (receiver type, argument types, result type).
_METHODS = {
    "startsWith": (STRING, [STRING], BOOL),
    "endsWith": (STRING, [STRING], BOOL),
    "contains": (STRING, [STRING], BOOL),
    "matches": (STRING, [STRING], BOOL),
}
_CONVERSIONS = {"int": INT, "uint": UINT, "double": DOUBLE, "string": STRING, "bytes": BYTES}
# What each conversion accepts, as the library runs it (int(true) or string(true) has no overload there;
# the differential test in policy/tests holds the checker to the library).
_NUMBERS = (INT, UINT, DOUBLE, STRING)
_CONVERTS_FROM = {
    "int": _NUMBERS,
    "uint": _NUMBERS,
    "double": _NUMBERS,
    "string": (*_NUMBERS, BYTES, TIMESTAMP),
    "bytes": (STRING, BYTES),
}
_MACROS = {"all", "exists", "exists_one", "map", "filter"}
AVAILABLE_FUNCTIONS = sorted(
    {*_METHODS, *_CONVERSIONS, *_MACROS, "size", "has", "timestamp", "duration", "matches"}
)


class _Checker:
    """Parses one expression and returns its type; raises ExpressionError at the first fault."""

    def __init__(self, source: str, variables: dict, describe):
        self.tokens = _tokens(source)
        self.at = 0
        self.scopes: list[dict] = [dict(variables)]
        self.describe = describe  # record -> a sentence listing its fields, for unknown-field messages

    # ---- plumbing

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self, text: str | None = None) -> Token:
        token = self.token
        if text is not None and token.text != text:
            self.fail(f"expected {text!r}, found {token.text or 'the end'!r}", token)
        self.at += 1
        return token

    def fail(self, message: str, token: Token):
        raise ExpressionError(message, token.line, token.column)

    def lookup(self, name: str):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    # ---- grammar: ternary < || < && < relations < + - < * / % < unary < member

    def expression(self):
        start = self.token
        condition = self.binary(0)
        if self.token.text != "?":
            return condition
        self.take("?")
        self.require(condition, BOOL, start, "the condition before '?'")
        left = self.expression()
        self.take(":")
        other = self.token
        right = self.expression()
        if not (_same(left, right) or NULL in (left, right)):
            # CEL's checker wants one type from both branches; the library would fail later instead.
            self.fail(f"both sides of ':' must have one type, not {left} and {right}", other)
        return _joined(left, right)

    _LEVELS = [("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"), ("*", "/", "%")]

    def binary(self, level: int):
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.token.text in self._LEVELS[level] and self.token.kind in ("op", "name"):
            operator = self.take()
            right = self.binary(level + 1)
            left = self.apply(operator, left, right)
        return left

    def apply(self, op: Token, a, b):
        name = op.text
        if name in ("&&", "||"):
            self.require(a, BOOL, op, f"the left side of {name}")
            self.require(b, BOOL, op, f"the right side of {name}")
            return BOOL
        if name in ("==", "!="):
            if not (_same(a, b) or NULL in (a, b) or {a, b} <= NUMBERS):
                self.fail(f"cannot compare {a} with {b} using {name}", op)
            return BOOL
        if name in ("<", "<=", ">", ">="):
            ordered = {a, b} <= NUMBERS or (
                _same(a, b) and a in (STRING, BYTES, TIMESTAMP, DURATION, BOOL, DYN)
            )
            if not ordered:
                self.fail(f"cannot order {a} and {b} with {name}", op)
            return BOOL
        if name == "in":
            if isinstance(b, ListOf):
                if not (_same(a, b.item) or {a, b.item} <= NUMBERS):
                    self.fail(f"cannot look for {a} in a {b}", op)
            elif isinstance(b, MapOf):
                if not _same(a, b.key):
                    self.fail(f"cannot look for a {a} key in a {b}", op)
            elif b != DYN:
                self.fail(f"'in' needs a list or a map on its right, not {b}", op)
            return BOOL
        return self.arithmetic(op, a, b)

    def arithmetic(self, op: Token, a, b):
        name = op.text
        if DYN in (a, b):
            return DYN
        if a == b and a in NUMBERS:
            return a
        if name == "+" and a == b and (a in (STRING, BYTES, DURATION) or isinstance(a, ListOf)):
            return a
        if name in ("+", "-") and a == TIMESTAMP and b == DURATION:
            return TIMESTAMP
        if name == "+" and a == DURATION and b == TIMESTAMP:
            return TIMESTAMP
        if name == "-" and a == b == TIMESTAMP:
            return DURATION
        if name == "-" and a == b == DURATION:
            return DURATION
        hint = (
            " (CEL does not mix int and double: convert with double() or int())" if {a, b} <= NUMBERS else ""
        )
        self.fail(f"cannot apply {name} to {a} and {b}{hint}", op)

    def require(self, actual, expected, token: Token, what: str):
        if not _same(actual, expected):
            self.fail(f"{what} must be {expected}, but it is {actual}", token)

    def unary(self):
        if self.token.text == "!":
            op = self.take()
            self.require(self.unary(), BOOL, op, "the operand of '!'")
            return BOOL
        if self.token.text == "-":
            op = self.take()
            value = self.unary()
            if value not in (INT, DOUBLE, DURATION, DYN):
                self.fail(f"cannot negate {value}", op)
            return value
        return self.member()

    def member(self):
        value = self.primary()
        while self.token.text in (".", "["):
            if self.take().text == "[":
                start = self.token
                index = self.expression()
                self.take("]")
                value = self.index(value, index, start)
                continue
            name = self.take()
            if name.kind != "name":
                self.fail("expected a field name after '.'", name)
            value = self.method(value, name) if self.token.text == "(" else self.select(value, name)
        return value

    def select(self, value, name: Token):
        if isinstance(value, Record):
            field = value.field(name.text)
            if field is None:
                self.fail(f"{value} has no field {name.text!r}; {self.describe(value)}", name)
            return field
        if isinstance(value, MapOf):
            if not _same(value.key, STRING):
                self.fail(f"cannot select {name.text!r} from a {value}", name)
            return value.value
        if value == DYN:
            return DYN
        self.fail(f"cannot select {name.text!r} from a {value}", name)

    def index(self, value, index, token: Token):
        if isinstance(value, ListOf):
            self.require(index, INT, token, "a list index")
            return value.item
        if isinstance(value, MapOf):
            self.require(index, value.key, token, "this map's key")
            return value.value
        if value == DYN:
            return DYN
        self.fail(f"cannot index a {value}", token)

    def arguments(self) -> list:
        self.take("(")
        out = []
        while self.token.text != ")":
            start = self.token
            out.append((self.expression(), start))
            if self.token.text != ")":
                self.take(",")
        self.take(")")
        return out

    def method(self, receiver, name: Token):
        if name.text in _MACROS:
            return self.macro(receiver, name)
        if name.text == "size":
            self.arguments()
            return self.sized(receiver, name)
        if name.text not in _METHODS:
            self.unknown_function(name)
        expected_receiver, params, result = _METHODS[name.text]
        self.require(receiver, expected_receiver, name, f"the receiver of {name.text}()")
        self.check_arguments(name, self.arguments(), params)
        return result

    def check_arguments(self, name: Token, args: list, params: list):
        if len(args) != len(params):
            self.fail(f"{name.text}() takes {len(params)} argument(s), got {len(args)}", name)
        for (actual, token), expected in zip(args, params, strict=True):
            self.require(actual, expected, token, f"the argument of {name.text}()")

    def sized(self, value, token: Token):
        if value in (STRING, BYTES, DYN) or isinstance(value, (ListOf, MapOf)):
            return INT
        self.fail(f"size() needs a string, bytes, list or map, not {value}", token)

    def macro(self, receiver, name: Token):
        if isinstance(receiver, ListOf):
            item = receiver.item
        elif isinstance(receiver, MapOf):
            item = receiver.key
        elif receiver == DYN:
            item = DYN
        else:
            self.fail(f"{name.text}() works on a list or a map, not {receiver}", name)
        self.take("(")
        variable = self.take()
        if variable.kind != "name":
            self.fail(f"{name.text}() needs a variable name first", variable)
        self.take(",")
        self.scopes.append({variable.text: item})
        start = self.token
        body = self.expression()
        self.scopes.pop()
        self.take(")")
        if name.text == "map":
            return ListOf(body)
        self.require(body, BOOL, start, f"the condition of {name.text}()")
        return ListOf(item) if name.text == "filter" else BOOL

    def unknown_function(self, name: Token):
        self.fail(
            f"unknown function {name.text!r}; rules may use {', '.join(AVAILABLE_FUNCTIONS)}",
            name,
        )

    def primary(self):
        token = self.take()
        if token.kind == "number":
            text = token.text
            if text.endswith("u"):
                return UINT
            if text.startswith("0x"):
                return INT
            return DOUBLE if any(c in text for c in ".eE") else INT
        if token.kind == "string":
            prefix = token.text[: token.text.find(token.text.lstrip("rRbB")[0])]
            return BYTES if "b" in prefix.lower() else STRING
        if token.text == "(":
            value = self.expression()
            self.take(")")
            return value
        if token.text == "[":
            return self.list_literal()
        if token.text == "{":
            return self.map_literal()
        if token.kind == "name":
            return self.name(token)
        self.fail(f"unexpected {token.text or 'end of the expression'!r}", token)

    def list_literal(self):
        item = None
        while self.token.text != "]":
            value = self.expression()
            item = value if item is None else _joined(item, value)
            if self.token.text != "]":
                self.take(",")
        self.take("]")
        return ListOf(item or DYN)

    def map_literal(self):
        key = value = None
        while self.token.text != "}":
            k = self.expression()
            self.take(":")
            v = self.expression()
            key = k if key is None else _joined(key, k)
            value = v if value is None else _joined(value, v)
            if self.token.text != "}":
                self.take(",")
        self.take("}")
        return MapOf(key or DYN, value or DYN)

    def name(self, token: Token):
        word = token.text
        if word in ("true", "false"):
            return BOOL
        if word == "null":
            return NULL
        if self.token.text == "(":
            return self.function(token)
        value = self.lookup(word)
        if value is None:
            known = ", ".join(sorted(self.scopes[0]))
            self.fail(f"unknown name {word!r}; this trigger's rules can use {known}", token)
        return value

    def function(self, name: Token):
        word = name.text
        if word == "has":
            self.take("(")
            start = self.token
            self.member()  # has(a.b): the field must exist in the schema, which member() checks
            if self.tokens[self.at - 2].text != ".":
                self.fail("has() takes a field selection like has(event.signature)", start)
            self.take(")")
            return BOOL
        args = self.arguments()
        if word == "size":
            if len(args) != 1:
                self.fail("size() takes one argument", name)
            return self.sized(args[0][0], name)
        if word in _CONVERSIONS:
            if len(args) != 1:
                self.fail(f"{word}() takes one argument", name)
            given, start = args[0]
            if given != DYN and given not in _CONVERTS_FROM[word]:
                self.fail(f"{word}() converts a {' or '.join(_CONVERTS_FROM[word])}, not a {given}", start)
            return _CONVERSIONS[word]
        if word in ("timestamp", "duration"):
            self.check_arguments(name, args, [STRING])
            return TIMESTAMP if word == "timestamp" else DURATION
        if word == "matches":
            self.check_arguments(name, args, [STRING, STRING])
            return BOOL
        self.unknown_function(name)


def check(source: str, variables: dict, describe=lambda record: "") -> object:
    """The type of `source` over `variables` (name -> type), or ExpressionError naming the fault."""
    checker = _Checker(source, variables, describe)
    result = checker.expression()
    if checker.token.kind != "end":
        checker.fail(f"unexpected {checker.token.text!r}", checker.token)
    return result


_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")


@functools.lru_cache(maxsize=4096)
def compile_condition(source: str) -> cel.Program:
    """The library's compiled program, cached: a rule's condition is compiled once per process."""
    try:
        return cel.compile(source)
    except ValueError as exc:
        text = str(exc)
        match = _POSITION.search(text)
        if match:
            line, column, message = match.groups()
            raise ExpressionError(message.strip(), int(line), int(column)) from exc
        raise ExpressionError(text) from exc


def validate(source: str, variables: dict, describe=lambda record: "") -> cel.Program:
    """Compile (syntax, by the library) and check (names and types, by us); the result must be a bool."""
    source = (source or "").strip()
    if not source:
        raise ExpressionError("the condition is empty; write `true` for a rule that always applies")
    program = compile_condition(source)
    result = check(source, variables, describe)
    if result not in (BOOL, DYN):
        raise ExpressionError(f"the condition must be true or false, but it gives a {result}", 1, 1)
    return program


def require_valid(source: str, variables: dict, describe=lambda record: "") -> None:
    """`validate` for a service saving a rule: the fault as a ServiceError on the form's condition field."""
    try:
        validate(source, variables, describe)
    except ExpressionError as exc:
        raise ServiceError(f"condition: {exc}", field="condition") from exc
