"""Bounded numbers and safe JSON, checked on the raw input before any Decimal arithmetic.

One check for the API (the DRF fields below), the page forms (`pmflow.forms.BoundedDecimalField`) and
the CSV import: `1e9999999` costs nothing, `99999999999999.9999999` on a (20, 6) column is refused
because it rounds to 15 whole digits, NaN and Infinity are refused, and JSON params hold no NUL
character, no lone surrogate, no number a column or Python's int cannot hold, and no deep nesting.
"""

import json
import math
import re
from decimal import Context, Decimal, InvalidOperation

from rest_framework import serializers

MAX_NUMBER_CHARS = 64
# Digits, one point, an exponent of at most three digits: a text the Decimal constructor reads in
# constant time. Anything else (1e9999999, NaN, 0x10, 1_000) is refused before it is converted.
NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
ANY_EXPONENT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+")
NON_FINITE = {"nan", "snan", "inf", "infinity"}

MAX_ID = 2**63 - 1  # BigAutoField and every integer column the database holds

JSON_MAX_DEPTH = 8
JSON_MAX_CHARS = 20_000


def bounded_decimal(raw, *, max_digits: int, decimal_places: int, round_places: bool = True) -> Decimal:
    """`raw` (str, int, float or Decimal) as a Decimal that fits a (max_digits, decimal_places) column.

    With `round_places` the value is rounded to `decimal_places` (half even, as the database would)
    and must still fit; without, more decimal places are refused. Raises ValueError with a message a
    person can act on.
    """
    whole_digits = max_digits - decimal_places
    out_of_range = f"Out of range: at most {whole_digits} digits before the decimal point."
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValueError("A number is required.")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError("A finite number is required.")
        text = repr(raw)
    elif isinstance(raw, int):
        if raw.bit_length() > 4 * max_digits:  # before str(): a huge int costs quadratic time to print
            raise ValueError(out_of_range)
        text = str(raw)
    elif isinstance(raw, Decimal | str):
        text = str(raw).strip()
    else:
        raise ValueError("A number is required.")
    if text.lstrip("+-").lower() in NON_FINITE:
        raise ValueError("A finite number is required.")
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"A number of at most {MAX_NUMBER_CHARS} characters is required.")
    if not NUMBER_TEXT.fullmatch(text):
        if ANY_EXPONENT.fullmatch(text):
            raise ValueError(out_of_range)  # 1e9999999, 1e-9999999: an exponent no column holds
        raise ValueError("A number is required.")
    value = Decimal(text)
    if value and value.adjusted() >= whole_digits:
        raise ValueError(out_of_range)
    exponent = value.as_tuple().exponent
    if not round_places and exponent < -decimal_places:
        raise ValueError(f"At most {decimal_places} decimal places.")
    # Enough precision for every digit the column holds plus a carry: quantize cannot fail.
    try:
        rounded = value.quantize(Decimal(1).scaleb(-decimal_places), context=Context(prec=max_digits + 2))
    except InvalidOperation:
        raise ValueError(out_of_range) from None
    if rounded and rounded.adjusted() >= whole_digits:  # 99999999999999.9999999 → 100000000000000.000000
        raise ValueError(out_of_range)
    if max_digits > FLOAT_DIGITS and abs(rounded) > largest_safe(max_digits, decimal_places):
        raise ValueError(f"Out of range: at most {largest_safe(max_digits, decimal_places):,} either way.")
    return rounded


# SQLite keeps decimals as 8-byte floats and reads them back at 15 significant digits: a (20, 6) value
# such as 99999999999999.98 would come back as 100000000000000, which no longer fits its column (an
# error on every later read). Columns wider than that stop one below the next power of ten.
FLOAT_DIGITS = 15


def largest_safe(max_digits: int, decimal_places: int) -> Decimal:
    """The largest magnitude a (max_digits, decimal_places) value may have on every database."""
    whole = Decimal(10) ** (max_digits - decimal_places)
    return whole - 1 if max_digits > FLOAT_DIGITS else whole - Decimal(10) ** -decimal_places


class BoundedDecimalField(serializers.DecimalField):
    """DRF's DecimalField, with `bounded_decimal` before any conversion and the same field messages."""

    def __init__(self, max_digits, decimal_places, *, round_places: bool = False, **kwargs):
        self.round_places = round_places
        largest = Decimal(10) ** (max_digits - decimal_places) - Decimal(10) ** -decimal_places
        if max_digits > FLOAT_DIGITS:  # the bound every database can read back (largest_safe), in the schema
            kwargs.setdefault("max_value", largest_safe(max_digits, decimal_places))
            kwargs.setdefault("min_value", -largest_safe(max_digits, decimal_places))
        elif round_places and float(largest) != float(largest + Decimal(10) ** -decimal_places):
            # The largest value that still fits once rounded, stated as the schema's bound: "below 10**k"
            # let 999.995 through the schema, and rounded to 1000.00 it no longer fits (a 400). (Where a
            # JSON number cannot tell the two apart, DRF's exclusive bound says it better.)
            kwargs.setdefault("max_value", largest)
            kwargs.setdefault("min_value", -largest)
        super().__init__(max_digits, decimal_places, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip() == "" and self.allow_null:
            return None
        try:
            value = bounded_decimal(
                data, max_digits=self.max_digits, decimal_places=self.decimal_places, round_places=self.round_places
            )
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None
        if self.round_places and self.min_value is not None and _below(data, self.min_value):
            # -0.0001 rounds to 0.00, yet it is below a minimum of 0 (what the schema states): refused.
            self.fail("min_value", min_value=self.min_value)
        return super().to_internal_value(value)


def _below(data, minimum) -> bool:
    """Whether the value as sent (before rounding) is below `minimum`; a finite number by now."""
    try:
        raw = Decimal(str(data).strip()) if not isinstance(data, bool) else None
    except (ArithmeticError, ValueError):
        return False
    return raw is not None and raw.is_finite() and raw < Decimal(str(minimum))


class BoundedIntegerField(serializers.IntegerField):
    """A whole number a database integer column holds (2**63 and up were an overflow in the driver)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -MAX_ID)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > 40:
            self.fail("max_string_length")
        if isinstance(data, int) and not isinstance(data, bool) and data.bit_length() > 64:
            self.fail("max_value", max_value=self.max_value)
        return super().to_internal_value(data)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is not a character"
    return None


def json_problem(value, *, max_depth: int = JSON_MAX_DEPTH, max_chars: int = JSON_MAX_CHARS) -> str | None:
    """Why `value` (parsed JSON) cannot be stored as is, or None.

    Iterative, so no nesting can exhaust the stack; bounded: at most `max_depth` levels, `max_chars`
    characters once serialised, strings and keys free of NUL and lone surrogates, numbers finite and
    within a 64-bit integer or a double.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return f"is nested more than {max_depth} levels deep"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return "has a key that is not a string"
                if problem := _text_problem(key):
                    return f"has a key that {problem}"
                stack.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if problem := _text_problem(item):
                return f"has a text that {problem}"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if item.bit_length() > 63:
                return "has a whole number beyond 64 bits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "has a number that is not finite (NaN or Infinity)"
        elif isinstance(item, Decimal):
            if not item.is_finite() or (item and abs(item.adjusted()) > 308):
                return "has a number out of range"
        else:
            return "holds a value JSON cannot"
    if len(json.dumps(value, default=str)) > max_chars:
        return f"is longer than {max_chars:,} characters"
    return None


class SafeJSONField(serializers.JSONField):
    """A JSON value whose depth, size, strings and numbers are bounded (`json_problem`)."""

    def __init__(self, *, max_depth: int = JSON_MAX_DEPTH, max_chars: int = JSON_MAX_CHARS, **kwargs):
        self.max_depth, self.max_chars = max_depth, max_chars
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if problem := json_problem(value, max_depth=self.max_depth, max_chars=self.max_chars):
            raise serializers.ValidationError(f"The value {problem}.", code="invalid")
        return value


class StrictText:
    """A text field that takes a JSON string only: DRF's CharField turns a number into text (`"name": 12`
    is stored as "12"), which the schema (`type: string`) does not allow."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictText, serializers.CharField):
    pass


_STRICT_TEXT: dict[type, type] = {}


class StrictStrings:
    """ModelSerializer mixin: the text fields built from the model are `StrictText` ones."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.CharField) and not issubclass(field_class, StrictText):
            if field_class not in _STRICT_TEXT:
                _STRICT_TEXT[field_class] = type(f"Strict{field_class.__name__}", (StrictText, field_class), {})
            field_class = _STRICT_TEXT[field_class]
        return field_class, kwargs
