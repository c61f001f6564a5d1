"""Deadlines and thresholds: every wait and every yardstick of a handoff, with its default (docs/protocol.md section 10)."""

from __future__ import annotations

from typing import TypedDict

from . import schema as s


class Deadlines(TypedDict):
    """Every wait of a handoff, in ms."""

    hello_ms: int
    claim_ms: int
    ack_ms: int
    drain_ms: int
    confirm_ms: int
    heartbeat_ms: int
    rollback_grace_ms: int
    takeover_ms: int
    #: During the observation window: how long the standby waits, after green's pid is gone, for a restarted green to listen.
    restart_grace_ms: int


class Thresholds(TypedDict):
    """What blue judges green's heartbeats by."""

    max_error_rate: float
    max_latency_factor: float
    latency_floor_ms: float
    max_heartbeat_age_ms: int
    consecutive: int
    expected_latency_ms: int
    min_messages: int


DEFAULT_DEADLINES: Deadlines = {
    "hello_ms": 5_000,
    "claim_ms": 600_000,
    "ack_ms": 120_000,
    "drain_ms": 10_000,
    "confirm_ms": 10_000,
    "heartbeat_ms": 1_000,
    "rollback_grace_ms": 10_000,
    "takeover_ms": 10_000,
    "restart_grace_ms": 5_000,
}

DEFAULT_THRESHOLDS: Thresholds = {
    "max_error_rate": 0.05,
    "max_latency_factor": 3,
    "latency_floor_ms": 250,
    "max_heartbeat_age_ms": 5_000,
    "consecutive": 3,
    # Stands in for blue's p99 when blue answered too little to have a baseline (decision 1).
    "expected_latency_ms": 5_000,
    # A bake with fewer messages still promotes, and says it had too little traffic to judge.
    "min_messages": 10,
}

#: The standby's thresholds during the observation window: the same fields, looser defaults (section 10). Hours of
#: traffic see bursts a five-minute bake does not, and a take-back needs a clear, sustained failure.
DEFAULT_OBSERVE_THRESHOLDS: Thresholds = {
    "max_error_rate": 0.2,
    "max_latency_factor": 5,
    "latency_floor_ms": 1_000,
    "max_heartbeat_age_ms": 30_000,
    "consecutive": 10,
    "expected_latency_ms": 5_000,
    # Not used during the window (there is no "too little traffic" there).
    "min_messages": 0,
}

# Fixed values of the protocol (not negotiable on the wire), as src/protocol/deadlines.ts has them.
#: How long a probe waits for a WELCOME (blue checking green's takeover, green checking blue), and the standby for a
#: STANDBY_WELCOME and its last look at the socket before a take-back.
PROBE_MS = 2_000
#: A listener asked for a RESERVE while a standby is attached: how long it waits for the standby's pid to go after STANDBY_END.
STANDBY_END_MS = 5_000
#: How often the standby sends STANDBY_STATUS.
STANDBY_STATUS_MS = 10_000
#: How often this listener sends HEALTH to its standby (announced in STANDBY_WELCOME.heartbeat_ms).
STANDBY_HEARTBEAT_MS = 1_000

_positive = s.integer(gt=0)
DEADLINE_FIELDS: dict[str, s.Schema] = {name: _positive for name in DEFAULT_DEADLINES}
THRESHOLD_FIELDS: dict[str, s.Schema] = {
    "max_error_rate": s.number(0, 1),
    "max_latency_factor": s.number(1),
    "latency_floor_ms": s.number(0),
    "max_heartbeat_age_ms": s.integer(gt=0),
    "consecutive": s.integer(1, 100),
    "expected_latency_ms": s.integer(gt=0),
    "min_messages": s.integer(0),
}

#: Fields added in round 2: optional on the wire in a complete Thresholds, so a peer that predates them still interoperates.
_NEW_THRESHOLDS = ("expected_latency_ms", "min_messages")

#: Deadlines added with the observation window: optional in a complete Deadlines on the wire (their default fills in).
_NEW_DEADLINES = ("restart_grace_ms",)
_deadlines_wire = s.obj(
    {k: v for k, v in DEADLINE_FIELDS.items() if k not in _NEW_DEADLINES},
    {k: v for k, v in DEADLINE_FIELDS.items() if k in _NEW_DEADLINES},
)


def deadlines_schema(value: object, path: s.Path) -> object:
    """A complete Deadlines as received; `restart_grace_ms` takes its default when a peer omits it."""
    got = _deadlines_wire(value, path)
    assert isinstance(got, dict)
    return complete_deadlines(got)

_thresholds_wire = s.obj(
    {k: v for k, v in THRESHOLD_FIELDS.items() if k not in _NEW_THRESHOLDS},
    {k: v for k, v in THRESHOLD_FIELDS.items() if k in _NEW_THRESHOLDS},
)


def thresholds_schema(value: object, path: s.Path) -> object:
    """A complete Thresholds as received; the round-2 fields take their defaults when a peer omits them."""
    got = _thresholds_wire(value, path)
    assert isinstance(got, dict)
    return complete_thresholds(got)


def complete_deadlines(partial: dict[str, object] | None) -> Deadlines:
    """The defaults overlaid with an already validated partial Deadlines."""
    out = dict(DEFAULT_DEADLINES)
    out.update(partial or {})
    return out  # type: ignore[return-value]


def complete_thresholds(partial: dict[str, object] | None) -> Thresholds:
    """The defaults overlaid with an already validated partial Thresholds."""
    out = dict(DEFAULT_THRESHOLDS)
    out.update(partial or {})
    return out  # type: ignore[return-value]


def complete_observe_thresholds(partial: dict[str, object] | None) -> Thresholds:
    """The observation window's defaults overlaid with an already validated partial Thresholds."""
    out = dict(DEFAULT_OBSERVE_THRESHOLDS)
    out.update(partial or {})
    return out  # type: ignore[return-value]
