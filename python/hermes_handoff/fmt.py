"""The one formatting rule for durations and percentages in reasons and notes (round-2 decision 8)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["duration", "percent", "fixed"]


def _round(x: float, digits: int) -> Decimal:
    # Half up on the exact binary value: what JavaScript's toFixed and Math.round do for these magnitudes.
    return Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def fixed(x: float, digits: int) -> str:
    """`x` with at most `digits` decimals and no trailing zeros (JavaScript's `String(+x.toFixed(digits))`)."""
    s = format(_round(x, digits), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _duration(ms: float, extra: int) -> str:
    if _round(ms, extra) < 1000:
        return f"{fixed(ms, extra)} ms"
    seconds = fixed(ms / 1000, 1 + extra)
    if Decimal(seconds) < 60:
        return f"{seconds} s"
    total_s = int(_round(ms / 1000, 0))
    if total_s < 3600:
        m, s = divmod(total_s, 60)
        return f"{m} min" if s == 0 else f"{m} min {s} s"
    h, m = divmod(int(_round(ms / 60_000, 0)), 60)
    return f"{h} h" if m == 0 else f"{h} h {m} min"


def duration(ms: float, other: float | None = None) -> str:
    """A duration in ms as people read it (`300 ms`, `1.5 s`, `5 s`, `2 min 5 s`, `3 h 12 min`); more precise while it would read the same as `other`."""
    out = _duration(ms, 0)
    if other is None or ms == other:
        return out
    for extra in range(1, 4):
        if out != _duration(other, extra - 1):
            return out
        out = _duration(ms, extra)
    return out


def percent(x: float, other: float | None = None) -> str:
    """A fraction as a percentage with at most one decimal (`0%`, `5%`, `7.2%`), up to four while it would read the same as `other`."""
    d = 1
    while d < 4 and other is not None and x != other and fixed(x * 100, d) == fixed(other * 100, d):
        d += 1
    return f"{fixed(x * 100, d)}%"
