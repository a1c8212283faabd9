"""Our CEL type checker against the library that runs the rules: whatever the checker accepts, the library
evaluates on a context of the declared types without a type error, to a value of the type the checker
inferred. (The checker may be stricter than the library; it must never be looser: a rule accepted at save
must not fail on types the day it matters.)"""

from datetime import UTC, datetime

import cel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontline.policy import expressions, schema
from frontline.policy.expressions import BOOL, DOUBLE, INT, STRING, ExpressionError, ListOf

TRIGGER = "payment_overdue"
VARIABLES = schema.variables(TRIGGER)
CONTEXT = {
    "event": schema.typed(
        VARIABLES["event"].fields,
        {"trigger": TRIGGER, "source": "billing", "days_overdue": 31, "amount": 12.5, "invoice": "INV-7"},
    )
    | {"received_at": datetime(2026, 3, 2, 12, 0, tzinfo=UTC)},
    "unit": schema.typed(schema.UNIT.fields, {"kind": "site", "name": "walkerblog.example", "depth": 1}),
    "customer": schema.typed(schema.CUSTOMER.fields, {"plan": "starter", "tier": "gold", "units": 3}),
    "history": schema.typed(schema.HISTORY.fields, {"open_cases": 2}) | {"tags": ["hospital", "vip"]},
}

# The names of each type a generated expression may read.
FIELDS = {
    kind: [f"{name}.{field}" for name, record in VARIABLES.items() for field, t in record.fields if t == kind]
    for kind in (BOOL, INT, DOUBLE, STRING)
}
LITERALS = {
    BOOL: st.sampled_from(["true", "false"]),
    INT: st.integers(-5, 40).map(str),
    DOUBLE: st.sampled_from(["0.5", "12.5", "2.0"]),
    STRING: st.sampled_from(['"gold"', '"INV-7"', '""', '"vip"']),
}
TYPE_OF_VALUE = {bool: BOOL, int: INT, float: DOUBLE, str: STRING, list: ListOf(STRING)}


def atoms():
    return st.one_of(
        *[st.sampled_from(names) for names in FIELDS.values()],
        *LITERALS.values(),
        st.just("history.tags"),
    )


def expressions_of(depth: int):
    """Well-typed and ill-typed alike: operators, functions and macros applied to whatever comes."""
    if depth == 0:
        return atoms()
    inner = expressions_of(depth - 1)
    binary = st.sampled_from(["==", "!=", "<", ">=", "+", "-", "*", "&&", "||", "in"])
    return st.one_of(
        inner,
        st.tuples(inner, binary, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"!{e}"),
        inner.map(lambda e: f"size({e})"),
        inner.map(lambda e: f"int({e})"),
        inner.map(lambda e: f"string({e})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}.startsWith({t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        inner.map(lambda e: f"history.tags.exists(t, t == {e})"),
    )


@settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(expressions_of(3))
def test_what_the_checker_accepts_the_library_evaluates_to_the_type_it_inferred(source):
    try:
        inferred = expressions.check(source, VARIABLES)
    except ExpressionError:
        return  # refused at save: the library is never asked
    try:
        value = cel.evaluate(source, CONTEXT)
    except Exception as failure:  # the library raises TypeError for types, RuntimeError for the rest
        words = str(failure).lower()
        # Values can still fail (int("INV-7"), an overflow); types must not: no overload, no such function.
        type_failure = isinstance(failure, TypeError) or "overload" in words or "undefined" in words
        assert not type_failure, f"{source}: accepted as {inferred}, but {failure}"
        return
    if inferred in TYPE_OF_VALUE.values() and not isinstance(inferred, ListOf):
        assert TYPE_OF_VALUE[type(value)] == inferred, f"{source}: inferred {inferred}, got {value!r}"


def test_the_differential_test_sees_both_verdicts():
    """The generator is not idle: it makes expressions the checker accepts and ones it refuses."""
    accepted = expressions.check('(event.days_overdue >= 30) && customer.tier == "gold"', VARIABLES)
    assert accepted == BOOL and cel.evaluate('(event.days_overdue >= 30) && customer.tier == "gold"', CONTEXT)
    try:
        expressions.check('event.days_overdue >= "30"', VARIABLES)
    except ExpressionError as refused:
        assert refused.line == 1
    else:
        raise AssertionError("a string compared with an int was accepted")
