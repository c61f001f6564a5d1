"""The restart rule (round-2 decision 3): what a gateway process is, from its environment and the verdict files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .files import read_verdict, verdict_on_file
from .frames import VerdictRecord
from .ids import parse_handoff_id


@dataclass(frozen=True)
class Startup:
    """What this process is.

    `blue`: no HERMES_HANDOFF_ID, serve (refusing when a live listener answers).
    `green`: started for a handoff that has no verdict yet.
    `restart-blue`: restarted after its handoff was promoted: serve as blue with the live-listener check
    (when something live listens, exit 0 without serving); once bound, ask still_promoted() before the first
    poll (a standby may have taken the promotion back meanwhile).
    `exit`: the handoff already ended otherwise: exit 0 at once, writing nothing (so Restart=on-failure stops).
    """

    role: Literal["blue", "green", "restart-blue", "exit"]
    handoff_id: str | None
    verdict: VerdictRecord | None
    reason: str


def startup_role(home: str, env: Mapping[str, str]) -> Startup:
    """Reads HERMES_HANDOFF_ID (validated; ValueError when invalid) and `run/handoffs/<id>.json` to decide what this process is."""
    raw = env.get("HERMES_HANDOFF_ID")
    if not raw:
        return Startup("blue", None, None, "no HERMES_HANDOFF_ID: serving")
    try:
        handoff_id = parse_handoff_id(raw)
    except ValueError as e:
        raise ValueError(f"HERMES_HANDOFF_ID: {e}") from None
    on_file = verdict_on_file(home, handoff_id)
    if on_file is None:
        return Startup("green", handoff_id, None, f"handoff {handoff_id} has no verdict: playing green")
    if on_file == "promoted":
        record = read_verdict(home, handoff_id)
        return Startup("restart-blue", handoff_id, record, f"handoff {handoff_id} was promoted: serving again as blue")
    return Startup("exit", handoff_id, None, f"handoff {handoff_id} already ended {on_file}; nothing to do")


def still_promoted(home: str, handoff_id: str) -> bool:
    """Whether handoff `handoff_id` is still promoted: a restarted green that has bound the socket asks once more
    before its first poll, so a take-back its standby decided meanwhile wins (docs/protocol.md section 8.3)."""
    return verdict_on_file(home, handoff_id) == "promoted"
