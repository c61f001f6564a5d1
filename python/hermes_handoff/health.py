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

#: Blue's recent past, for the baseline: the last minute of replies ...
RECENT_MS = 60_000
#: ... or, when that minute holds fewer than MIN_BASELINE replies, the last HISTORY replies of any age.
HISTORY = 1000
MIN_BASELINE = 20


@dataclass(frozen=True)
class Baseline:
    """Blue's own reply latency that green's is compared with; `p99_ms` is None when blue answered too little to have one."""

    p99_ms: float | None
    #: Replies the p99 was taken over (or, without a baseline, all replies blue could count).
    replies: int
    source: Literal["recent", "history", "none"]
    error_rate: float = 0.0


NO_BASELINE = Baseline(None, 0, "none")


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
    rank = math.ceil(min(100.0, max(0.0, p)) / 100 * len(sorted_values))
    return float(sorted_values[max(0, rank - 1)])


def _error_rate(handled: int, errors: int) -> float:
    # A peer that counts errors apart from what it handled may report more errors than messages.
    return 0.0 if errors == 0 else errors / max(handled, errors)


def latency_limit(baseline: Baseline, t: Thresholds) -> float:
    """The p99 above which a green sample breaches, in ms."""
    base = baseline.p99_ms if baseline.p99_ms is not None else t["expected_latency_ms"]
    return max(base * t["max_latency_factor"], t["latency_floor_ms"])


def _yardstick(baseline: Baseline, t: Thresholds) -> str:
    factor = f"{fixed(t['max_latency_factor'], 2)}x"
    if baseline.p99_ms is None:
        base = f"{factor} expected {duration(t['expected_latency_ms'])}, no baseline: blue answered {_plural(baseline.replies, 'message')}"
    else:
        base = f"{factor} blue's {duration(baseline.p99_ms)}"
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
    dispatch carrying it arrived) to the moment the platform accepted the reply (decision 1).
    """

    def __init__(self, monotonic_ms: Callable[[], float]) -> None:
        self._now = monotonic_ms
        self._window: list[float] = []
        self._errors = 0
        # (when, latency) of recent replies: the last minute, and at least the last HISTORY of any age.
        self._history: deque[tuple[float, float, bool]] = deque(maxlen=50_000)

    def reply(self, latency_ms: float, error: bool) -> None:
        """Counts one answered message; `error` marks a failed agent run (still answered)."""
        self._window.append(latency_ms)
        if error:
            self._errors += 1
        now = self._now()
        self._history.append((now, latency_ms, error))
        while len(self._history) > HISTORY and self._history[0][0] < now - RECENT_MS:
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

    def baseline(self) -> Baseline:
        """Blue's p99 over the last minute, else over its last 1000 replies, else none (fewer than 20 replies)."""
        now = self._now()
        recent = [h for h in self._history if h[0] >= now - RECENT_MS]
        if len(recent) >= MIN_BASELINE:
            return _baseline(recent, "recent")
        history = list(self._history)[-HISTORY:]
        if len(history) >= MIN_BASELINE:
            return _baseline(history, "history")
        return Baseline(None, len(history), "none")


def _baseline(replies: Sequence[tuple[float, float, bool]], source: Literal["recent", "history"]) -> Baseline:
    errors = sum(1 for h in replies if h[2])
    p99 = round(percentile(sorted(h[1] for h in replies), 99), 3)
    return Baseline(p99, len(replies), source, errors / len(replies))
