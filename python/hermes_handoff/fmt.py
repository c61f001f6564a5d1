"""The one formatting rule for durations and percentages in reasons and notes (round-2 decision 8)."""

from __future__ import annotations

import datetime
import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["duration", "percent", "fixed", "timestamp"]


def _round(x: float, digits: int) -> Decimal:
    # Half up on the exact binary value: what JavaScript's toFixed and Math.round do for these magnitudes.
    return Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def fixed(x: float, digits: int) -> str:
    """`x` with at most `digits` decimals and no trailing zeros (JavaScript's `String(+x.toFixed(digits))`)."""
    s = format(_round(x, digits), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _whole_ms(ms: float) -> int:
    # Whole milliseconds, rounded half up; anything that is not a finite number >= 0 counts as 0.
    return int(math.floor(ms + 0.5)) if math.isfinite(ms) and ms > 0 else 0


def _plain(ms: float) -> str:
    n = _whole_ms(ms)
    if n < 1_000:
        return f"{n} ms"
    tenths = (n + 50) // 100
    if tenths < 600:
        return f"{tenths // 10}{f'.{tenths % 10}' if tenths % 10 else ''} s"
    secs = (n + 500) // 1_000
    if secs < 3_600:
        return f"{secs // 60} min{f' {secs % 60} s' if secs % 60 else ''}"
    mins = (n + 30_000) // 60_000
    return f"{mins // 60} h{f' {mins % 60} min' if mins % 60 else ''}"


def duration(ms: float, other: float | None = None) -> str:
    """A duration in ms as people read it (`300 ms`, `1.5 s`, `5 s`, `2 min 5 s`, `3 h 12 min`); under a minute, up to three more decimals while it would read the same as `other`."""
    s = _plain(ms)
    n = _whole_ms(ms)
    if other is None or ms == other or _plain(other) != s or not math.isfinite(ms) or n >= 60_000:
        return s
    unit, name, base = (1, "ms", 0) if n < 1_000 else (1_000, "s", 1)
    for d in range(base + 1, base + 4):
        mine = fixed(ms / unit, d)
        if mine != fixed(other / unit, d):
            return f"{mine} {name}"
    return s


def percent(x: float, other: float | None = None) -> str:
    """A fraction as a percentage with at most one decimal (`0%`, `5%`, `7.2%`), up to four while it would read the same as `other`."""
    d = 1
    while d < 4 and other is not None and x != other and fixed(x * 100, d) == fixed(other * 100, d):
        d += 1
    return f"{fixed(x * 100, d)}%"


def timestamp(ms: float) -> str:
    """An epoch-ms time as UTC ISO 8601 to the second (`2026-11-24T20:29:05Z`), as the Node peer's formatTime writes it."""
    if not math.isfinite(ms):
        ms = 0
    try:
        # Whole ms toward zero (a JavaScript Date), then whole seconds toward the past: toISOString() without its milliseconds.
        t = datetime.datetime.fromtimestamp(int(ms) // 1000, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        # Beyond the year 9999 (JavaScript writes +YYYYYY there); no window reaches it.
        return "an invalid time"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
