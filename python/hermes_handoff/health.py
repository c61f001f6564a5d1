"""How blue judges green's heartbeats (docs/protocol.md section 11, with round-2 decision 1); pure."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

from .fmt import duration, fixed, percent
from .frames import HealthSample
from .limits import Thresholds

#: Blue's baseline: its replies of the last minute ...
RECENT_MS = 60_000
#: ... when at least MIN_BASELINE; else its last HISTORY replies (of any age) when at least MIN_BASELINE; else none.
HISTORY = 1000
MIN_BASELINE = 20


@dataclass(frozen=True)
class Baseline:
    """Blue's own p99 reply latency that green's is compared with; `latency_p99_ms` is None when blue answered too little to have one."""

    latency_p99_ms: float | None
    #: Replies the p99 was taken over (when None: how many replies blue had).
    replies: int


NO_BASELINE = Baseline(None, 0)


@dataclass(frozen=True)
class Reply:
    """One reply a gateway sent: `at` (epoch ms) when the platform accepted it, `latency_ms` since the message was read."""

    at: float
    latency_ms: float
    error: bool


@dataclass(frozen=True)
class Breaches:
    """Consecutive breaching samples so far, by kind."""

    error: int = 0
    latency: int = 0


@dataclass(frozen=True)
class Judgement:
    """The counts after one sample; `reason` is set when the sample completes a breach run."""

    breaches: Breaches
    reason: str | None


class HealthWindow(TypedDict):
    """A gateway's counters since the previous heartbeat."""

    handled: int
    errors: int
    latency_p50_ms: float
    latency_p99_ms: float


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) of ascending `sorted_values` by nearest rank; 0 when empty."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def baseline_of(replies: Sequence[Reply], now: float) -> Baseline:
    """Blue's baseline from its replies (oldest first): the p99 of the last minute's when at least 20, else of the last 1000 when at least 20, else none."""
    last = list(replies)[-HISTORY:]
    recent = [r for r in last if r.at >= now - RECENT_MS]
    over = recent if len(recent) >= MIN_BASELINE else last if len(last) >= MIN_BASELINE else None
    if over is None:
        return Baseline(None, len(last))
    return Baseline(percentile(sorted(r.latency_ms for r in over), 99), len(over))


def _error_rate(handled: int, errors: int) -> float:
    # A peer that counts errors apart from what it handled may report more errors than messages.
    return 0.0 if errors == 0 else errors / max(handled, errors)


def latency_limit(baseline: Baseline, t: Thresholds) -> float:
    """The p99 above which a green sample breaches, in ms."""
    base = baseline.latency_p99_ms if baseline.latency_p99_ms is not None else t["expected_latency_ms"]
    return max(base * t["max_latency_factor"], t["latency_floor_ms"])


def _yardstick(baseline: Baseline, t: Thresholds) -> str:
    factor = f"{fixed(t['max_latency_factor'], 2)}x"
    if baseline.latency_p99_ms is None:
        base = f"{factor} expected {duration(t['expected_latency_ms'])}, no baseline: blue answered {_plural(baseline.replies, 'message')}"
    else:
        base = f"{factor} blue's {duration(baseline.latency_p99_ms)}"
    return f"{base}, floor {duration(t['latency_floor_ms'])}"


def judge_sample(sample: HealthSample, baseline: Baseline, t: Thresholds, prev: Breaches) -> Judgement:
    """Judges one HEALTH sample. Idle samples (nothing handled, no errors) neither breach nor reset a count."""
    if sample["handled"] == 0 and sample["errors"] == 0:
        return Judgement(prev, None)
    rate = _error_rate(sample["handled"], sample["errors"])
    limit = latency_limit(baseline, t)
    p99 = sample["latency_p99_ms"]
    breaches = Breaches(
        error=prev.error + 1 if rate > t["max_error_rate"] else 0,
        latency=prev.latency + 1 if p99 > limit else 0,
    )
    n = t["consecutive"]
    samples = "1 sample" if n == 1 else f"{n} consecutive samples"
    if breaches.error >= n:
        mx = t["max_error_rate"]
        return Judgement(breaches, f"error rate {percent(rate, mx)} > {percent(mx)} in {samples}")
    if breaches.latency >= n:
        return Judgement(
            breaches,
            f"p99 reply latency {duration(p99, limit)} > {duration(limit)} ({_yardstick(baseline, t)}) in {samples}",
        )
    return Judgement(breaches, None)


@dataclass(frozen=True)
class BakeEnd:
    """What a HEALTH at or after the bake's deadline decides: "promote", "judge-on", or "roll-back" with `reason`."""

    kind: Literal["promote", "judge-on", "roll-back"]
    reason: str | None = None


def bake_end(samples: Sequence[HealthSample], breaches: Breaches, late: int, baseline: Baseline, t: Thresholds) -> BakeEnd:
    """Ends the bake on a late HEALTH (`late` counts them, this one included): promote with no breach run open, else judge on until the `consecutive`-th, which rolls back."""
    if breaches.error == 0 and breaches.latency == 0:
        return BakeEnd("promote")
    if late < t["consecutive"]:
        return BakeEnd("judge-on")
    idle = 0
    while idle < len(samples) and samples[-1 - idle]["handled"] == 0 and samples[-1 - idle]["errors"] == 0:
        idle += 1
    last = samples[-1 - idle] if idle < len(samples) else None
    if breaches.error > 0:
        mx = t["max_error_rate"]
        rate = _error_rate(last["handled"], last["errors"]) if last is not None else 1.0
        what = f"error rate {percent(rate, mx)} > {percent(mx)}"
        k = breaches.error
    else:
        limit = latency_limit(baseline, t)
        p99 = last["latency_p99_ms"] if last is not None else 0.0
        what = f"p99 reply latency {duration(p99, limit)} > {duration(limit)}"
        k = breaches.latency
    return BakeEnd(
        "roll-back",
        f"{what} in the last {_plural(k, 'sample')} with traffic as the bake ended, then {_plural(idle, 'idle heartbeat')}: green never showed it recovered",
    )


def _plural(k: int, one: str) -> str:
    return f"{k} {one}{'' if k == 1 else 's'}"


def promotion_reason(bake_ms: int, samples: Sequence[HealthSample], t: Thresholds, notes: Sequence[str] = ()) -> str:
    """Why a passed bake promotes (green's CONFIRM notes follow); says so plainly when it saw fewer than `min_messages` messages."""
    return "; ".join([_bake_passed(bake_ms, samples, t), *notes])


def _bake_passed(bake_ms: int, samples: Sequence[HealthSample], t: Thresholds) -> str:
    handled = sum(x["handled"] for x in samples)
    errors = sum(x["errors"] for x in samples)
    head = f"bake of {duration(bake_ms)} passed"
    counts = f"{_plural(len(samples), 'heartbeat')}, {_plural(handled, 'message')}"
    if handled < t["min_messages"]:
        return f"{head} with too little traffic to judge: {counts} (fewer than {t['min_messages']})"
    worst = max((x["latency_p99_ms"] for x in samples), default=0.0)
    return f"{head}: {counts}, error rate {percent(_error_rate(handled, errors))}, worst p99 {duration(worst)}"


class ReplyStats:
    """A gateway's reply counters: the heartbeat window (`sample()`) and blue's baseline (`baseline()`).

    Reply latency runs from the moment the gateway read the message from the platform (the poll or
    dispatch carrying it arrived) to the moment the platform accepted the reply (protocol section 11).
    `now_ms` is the wall clock in epoch ms (any clock that moves with it will do).
    """

    def __init__(self, now_ms: Callable[[], float]) -> None:
        self._now = now_ms
        self._window: list[float] = []
        self._errors = 0
        # Recent replies: the last minute's, and at least the last HISTORY of any age.
        self._history: deque[Reply] = deque()

    def reply(self, latency_ms: float, error: bool) -> None:
        """Counts one answered message; `error` marks a failed agent run (still answered)."""
        self._window.append(latency_ms)
        if error:
            self._errors += 1
        now = self._now()
        self._history.append(Reply(now, latency_ms, error))
        while len(self._history) > HISTORY and self._history[0].at < now - RECENT_MS:
            self._history.popleft()

    def sample(self) -> HealthWindow:
        """The counters since the previous call, which resets them."""
        values = sorted(self._window)
        out: HealthWindow = {
            "handled": len(values),
            "errors": self._errors,
            "latency_p50_ms": round(percentile(values, 50), 3),
            "latency_p99_ms": round(percentile(values, 99), 3),
        }
        self._window = []
        self._errors = 0
        return out

    def replies(self) -> list[Reply]:
        """The replies kept (oldest first): those of the last minute, and at least the last 1000."""
        return list(self._history)

    def baseline(self) -> Baseline:
        """Blue's baseline now, by the protocol's rule (baseline_of)."""
        return baseline_of(self._history, self._now())
