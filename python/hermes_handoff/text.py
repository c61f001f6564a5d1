"""Strings as the protocol counts them: "characters" are UTF-16 code units, as in JavaScript."""

from __future__ import annotations

import json
import re

#: The largest integer the wire carries: JavaScript's Number.MAX_SAFE_INTEGER.
MAX_SAFE_INTEGER = 2**53 - 1

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf16_len(s: str) -> int:
    """Length of `s` in UTF-16 code units (a lone surrogate counts as one)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def slice_units(s: str, n: int) -> str:
    """The first `n` UTF-16 code units of `s`, exactly as JavaScript's `s.slice(0, n)`."""
    if utf16_len(s) <= n:
        return s
    return s.encode("utf-16-le", "surrogatepass")[: 2 * n].decode("utf-16-le", "surrogatepass")


def clip(s: str, max_units: int) -> str:
    """`s` cut to at most `max_units` UTF-16 units, an ellipsis marking the cut, never splitting a surrogate pair."""
    if utf16_len(s) <= max_units:
        return s
    head = slice_units(s, max_units - 1)
    if head and "\ud800" <= head[-1] <= "\udbff":
        head = head[:-1]
    return head + "\u2026"


def js_quote(s: str) -> str:
    """`s` as JavaScript's JSON.stringify writes it (lone surrogates escaped), for quoting values in messages."""
    out = json.dumps(s, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), out)
