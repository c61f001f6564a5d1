"""A small validator for decoded JSON: each schema checks a value and returns it cleaned (unknown fields dropped).

Hand-written because the package has no dependencies; it covers exactly what the frame tables use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Union

from .text import MAX_SAFE_INTEGER, js_quote, utf16_len

Path = tuple[Union[str, int], ...]
#: A schema: checks `value` found at `path` and returns the cleaned value, or raises Invalid.
Schema = Callable[[object, Path], object]


class Invalid(Exception):
    """A value that does not match its schema: where (`path`) and what was expected (`message`)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def where(self) -> str:
        """The path as `a.b.0.c`, or `frame` for the whole value."""
        return ".".join(str(p) for p in self.path) if self.path else "frame"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _num(value: object, path: Path, what: str) -> int | float:
    # Booleans are not numbers here, though Python counts them as ints.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(path, f"expected {what}, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(path, f"expected {what}, got a number out of range")
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise Invalid(path, f"expected {what}, got an integer beyond 2^53-1")
    return value


def _bounds(n: int | float, path: Path, lo: float | None, hi: float | None, gt: float | None) -> None:
    if gt is not None and not n > gt:
        raise Invalid(path, f"must be greater than {_show(gt)}")
    if lo is not None and n < lo:
        raise Invalid(path, f"must be at least {_show(lo)}")
    if hi is not None and n > hi:
        raise Invalid(path, f"must be at most {_show(hi)}")


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def integer(lo: float | None = None, hi: float | None = None, gt: float | None = None) -> Schema:
    """A safe integer (`1.0` accepted, booleans refused) within the bounds."""

    def check(value: object, path: Path) -> object:
        n = _num(value, path, "an integer")
        if isinstance(n, float):
            if not n.is_integer() or abs(n) > MAX_SAFE_INTEGER:
                raise Invalid(path, "expected an integer")
            n = int(n)
        _bounds(n, path, lo, hi, gt)
        return n

    return check


def number(lo: float | None = None, hi: float | None = None, gt: float | None = None) -> Schema:
    """A finite number (booleans refused) within the bounds."""

    def check(value: object, path: Path) -> object:
        n = _num(value, path, "a number")
        _bounds(n, path, lo, hi, gt)
        return n

    return check


def string(min_len: int = 0, max_len: int | None = None, pattern: str | None = None, pattern_says: str = "") -> Schema:
    """A string of `min_len`..`max_len` UTF-16 units, matching `pattern` when given."""
    rx = re.compile(pattern) if pattern else None

    def check(value: object, path: Path) -> object:
        if not isinstance(value, str):
            raise Invalid(path, f"expected a string, got {_kind(value)}")
        n = utf16_len(value)
        if n < min_len:
            raise Invalid(path, "must not be empty" if min_len == 1 else f"must be at least {min_len} characters")
        if max_len is not None and n > max_len:
            raise Invalid(path, f"must be at most {max_len} characters")
        if rx is not None and not rx.fullmatch(value):
            raise Invalid(path, pattern_says or f"must match {pattern}")
        return value

    return check


def boolean() -> Schema:
    """true or false."""

    def check(value: object, path: Path) -> object:
        if not isinstance(value, bool):
            raise Invalid(path, f"expected a boolean, got {_kind(value)}")
        return value

    return check


def one_of(*values: str) -> Schema:
    """One of the given strings."""

    def check(value: object, path: Path) -> object:
        if not isinstance(value, str) or value not in values:
            raise Invalid(path, f"expected one of {', '.join(values)}")
        return value

    return check


def nullable(inner: Schema) -> Schema:
    """null, or what `inner` accepts."""

    def check(value: object, path: Path) -> object:
        return None if value is None else inner(value, path)

    return check


def array(item: Schema, min_len: int = 0, max_len: int | None = None) -> Schema:
    """An array of `min_len`..`max_len` items, each checked by `item`."""

    def check(value: object, path: Path) -> object:
        if not isinstance(value, list):
            raise Invalid(path, f"expected an array, got {_kind(value)}")
        if len(value) < min_len:
            raise Invalid(path, f"must hold at least {min_len} item{'s' if min_len != 1 else ''}")
        if max_len is not None and len(value) > max_len:
            raise Invalid(path, f"must hold at most {max_len} items")
        return [item(v, path + (i,)) for i, v in enumerate(value)]

    return check


def obj(required: Mapping[str, Schema], optional: Mapping[str, Schema] | None = None) -> Schema:
    """An object with these fields; unknown fields are dropped, an optional field may be absent but not null."""
    opt = optional or {}

    def check(value: object, path: Path) -> object:
        if not isinstance(value, dict):
            raise Invalid(path, f"expected an object, got {_kind(value)}")
        out: dict[str, object] = {}
        for name, schema in required.items():
            if name not in value:
                raise Invalid(path + (name,), "required")
            out[name] = schema(value[name], path + (name,))
        for name, schema in opt.items():
            if name in value:
                out[name] = schema(value[name], path + (name,))
        return out

    return check


def partial(schema_fields: Mapping[str, Schema]) -> Schema:
    """An object whose fields are all optional."""
    return obj({}, schema_fields)


def record(key_pattern: str, key_says: str, value: Schema) -> Schema:
    """An object used as a map: every key matches `key_pattern`, every value `value`."""
    rx = re.compile(key_pattern)

    def check(v: object, path: Path) -> object:
        if not isinstance(v, dict):
            raise Invalid(path, f"expected an object, got {_kind(v)}")
        out: dict[str, object] = {}
        for k, item in v.items():
            if not rx.fullmatch(k):
                raise Invalid(path + (k,), key_says or f"{js_quote(k)} is not a valid key")
            out[k] = value(item, path + (k,))
        return out

    return check


def tagged(tag: str, variants: Mapping[str, Schema], noun: str) -> Schema:
    """An object whose `tag` field picks its schema among `variants`; an unknown tag names the known ones."""
    known = list(variants)
    expected = ", ".join(known[:-1]) + f" or {known[-1]}" if len(known) > 1 else known[0]

    def check(value: object, path: Path) -> object:
        if not isinstance(value, dict):
            raise Invalid(path, f"expected an object, got {_kind(value)}")
        t = value.get(tag)
        if tag not in value:
            raise Invalid(path + (tag,), f"required; expected {expected}")
        if not isinstance(t, str) or t not in variants:
            shown = js_quote(t) if isinstance(t, str) else _kind(t)
            raise Invalid(path + (tag,), f"unknown {noun} {shown}; expected {expected}")
        return variants[t](value, path)

    return check
