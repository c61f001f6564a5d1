"""The language-neutral vectors of conformance/ (their format: conformance/README.md), run against this package.

The Node suite runs the same files (test/protocol/conformance.test.ts); both must pass every case.
"""

from __future__ import annotations

import json
import os
import unittest
from collections.abc import Callable
from typing import Any, cast

from hermes_handoff import machine as m
from hermes_handoff import standby_machine as sm
from hermes_handoff.fmt import duration, fixed, percent
from hermes_handoff.framing import DecodeError, Decoded, FrameDecoder
from hermes_handoff.frames import HealthSample
from hermes_handoff.health import Baseline, Breaches, Reply, baseline_of, judge_sample, promotion_reason
from hermes_handoff.limits import complete_thresholds

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conformance")


def load(name: str) -> Any:
    with open(os.path.join(DIR, name), encoding="utf-8") as f:
        return json.load(f)


def same(a: object, b: object) -> bool:
    """Equality by the vectors' rules: numbers by value, a boolean never equal to a number, keys unordered."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def chunk_bytes(c: dict[str, Any]) -> bytes:
    if "text" in c:
        return cast(str, c["text"]).encode("utf-8")
    if "hex" in c:
        return bytes.fromhex(c["hex"])
    return (cast(str, c["repeat"]) * cast(int, c["count"])).encode("utf-8")


class Framing(unittest.TestCase):
    def check(self, got: Decoded, want: dict[str, Any], where: str) -> None:
        if "frame" in want:
            self.assertNotIsInstance(got, DecodeError, f"{where}: expected a frame, got {got}")
            self.assertTrue(same(got, want["frame"]), f"{where}: {got!r} != {want['frame']!r}")
            return
        e = want["error"]
        self.assertIsInstance(got, DecodeError, f"{where}: expected {e['code']}, got a frame {got!r}")
        assert isinstance(got, DecodeError)
        self.assertEqual(got.code, e["code"], where)
        self.assertIs(got.fatal, e["fatal"], where)
        self.assertEqual(got.frame, e.get("frame"), f"{where}: frame")
        if "message" in e:
            self.assertEqual(got.message, e["message"], where)
        if "message_prefix" in e:
            self.assertTrue(got.message.startswith(e["message_prefix"]), f"{where}: {got.message!r} starts with {e['message_prefix']!r}")

    def test_every_stream_decodes_to_its_results_in_its_chunks_and_in_one_piece(self) -> None:
        cases = load("framing.json")["cases"]
        self.assertGreaterEqual(len(cases), 40)
        for c in cases:
            parts = [chunk_bytes(x) for x in c["input"]]
            for split in (parts, [b"".join(parts)]):
                d = FrameDecoder()
                got: list[Decoded] = [r for b in split for r in d.push(b)]
                with self.subTest(c["name"]):
                    self.assertEqual(len(got), len(c["results"]), f"{c['name']}: {got}")
                    for i, want in enumerate(c["results"]):
                        self.check(got[i], want, f"{c['name']} #{i}")


class Format(unittest.TestCase):
    def test_durations_percentages_and_numbers(self) -> None:
        v = load("format.json")
        for c in v["durations"]:
            self.assertEqual(duration(c["ms"], c.get("other")), c["text"], c)
        for c in v["percents"]:
            self.assertEqual(percent(c["fraction"], c.get("other")), c["text"], c)
        for c in v["numbers"]:
            self.assertEqual(fixed(c["x"], c["digits"]), c["text"], c)


def baseline(b: dict[str, Any]) -> Baseline:
    return Baseline(b["latency_p99_ms"], b["replies"])


class Health(unittest.TestCase):
    def test_judgements(self) -> None:
        for c in load("health.json")["judge"]:
            t = complete_thresholds(c["thresholds"])
            prev = Breaches()
            for i, sample in enumerate(c["samples"]):
                j = judge_sample(cast(HealthSample, sample), baseline(c["baseline"]), t, prev)
                want = c["expect"][i]
                got = {"breaches": {"error": j.breaches.error, "latency": j.breaches.latency}, "reason": j.reason}
                self.assertTrue(same(got, want), f"{c['name']}, sample {i + 1}: {got} != {want}")
                prev = j.breaches

    def test_baselines(self) -> None:
        for c in load("health.json")["baseline"]:
            b = baseline_of([Reply(r["at"], r["latency_ms"], r["error"]) for r in c["replies"]], c["now"])
            got = {"latency_p99_ms": b.latency_p99_ms, "replies": b.replies}
            self.assertTrue(same(got, c["expect"]), f"{c['name']}: {got} != {c['expect']}")

    def test_promotion_reasons(self) -> None:
        for c in load("health.json")["promotion"]:
            got = promotion_reason(c["bake_ms"], c["samples"], complete_thresholds(c["thresholds"]), c.get("notes", []))
            self.assertEqual(got, c["expect"], c["name"])


# --- blue's transcripts: the vectors' event and effect names, mapped onto this package's machine ----------

EVENTS: dict[str, Callable[[dict[str, Any]], m.BlueEvent]] = {
    "baseline": lambda e: m.BaselineEv(e["now"], baseline(e["baseline"])),
    "reserve": lambda e: m.ReserveEv(e["now"], e["frame"], e["existing"]),
    "green_hello": lambda e: m.GreenHello(e["now"], e["handoff_id"], e["pid"]),
    "ack": lambda e: m.AckEv(e["now"], e["frame"]),
    "drained": lambda e: m.Drained(e["now"], e["cursors"], e["drained"], e["paused_at"]),
    "confirm": lambda e: m.ConfirmEv(e["now"], e["frame"]),
    "health": lambda e: m.HealthEv(e["now"], e["frame"]),
    "green_rollback": lambda e: m.GreenRollback(e["now"], e["frame"]),
    "stopped": lambda e: m.StoppedEv(e["now"], e["frame"]),
    "green_complete": lambda e: m.GreenComplete(e["now"], e["frame"]),
    "green_closed": lambda e: m.GreenClosed(e["now"], e["green_alive"]),
    "abort": lambda e: m.AbortEv(e["now"], e["handoff_id"], e["reason"]),
    "recorded": lambda e: m.Recorded(e["now"], e["handoff_id"], e["error"]),
    "takeover_checked": lambda e: m.TakeoverChecked(e["now"], e["server_pid"]),
    "tick": lambda e: m.Tick(e["now"], e["green_alive"]),
    "standby_hello": lambda e: m.StandbyHello(e["now"], e["handoff_id"], e["pid"]),
    "standby_status": lambda e: m.StandbyStatusEv(e["now"], e["frame"]),
    "standby_rollback": lambda e: m.StandbyRollback(e["now"], e["frame"]),
    "standby_closed": lambda e: m.StandbyClosed(e["now"], e["pid"], e["standby_alive"]),
}


def setup_json(su: sm.StandbySetup) -> dict[str, object]:
    """A standby's setup as the vectors write it."""
    return {
        "pid": su.pid,
        "handoff_id": su.handoff_id,
        "green_pid": su.green_pid,
        "release": su.release,
        "record": su.record,
        "until": su.until,
        "thresholds": su.thresholds,
        "baseline": {"latency_p99_ms": su.baseline.latency_p99_ms, "replies": su.baseline.replies},
        "rollback_grace_ms": su.rollback_grace_ms,
        "restart_grace_ms": su.restart_grace_ms,
        "cursors": su.cursors,
    }


def setup_of(j: dict[str, Any]) -> sm.StandbySetup:
    return sm.StandbySetup(**{**j, "baseline": baseline(j["baseline"])})


def effect_json(fx: m.BlueEffect) -> dict[str, object]:
    """An effect as the vectors write it."""
    if isinstance(fx, m.Reply):
        return {"kind": "reply", "frame": fx.frame}
    if isinstance(fx, m.ReplyClose):
        return {"kind": "reply_close", "frame": fx.frame}
    if isinstance(fx, m.ToGreen):
        return {"kind": "to_green", "frame": fx.frame}
    if isinstance(fx, m.AdoptGreen):
        return {"kind": "adopt_green"}
    if isinstance(fx, m.CloseGreen):
        return {"kind": "close_green"}
    if isinstance(fx, m.Emit):
        return {"kind": "emit", "event": fx.event}
    if isinstance(fx, m.Drain):
        return {"kind": "drain", "deadline_ms": fx.deadline_ms}
    if isinstance(fx, m.Resume):
        return {"kind": "resume", "cursors": fx.cursors}
    if isinstance(fx, m.StopGreen):
        return {"kind": "stop_green", "pid": fx.pid, "grace_ms": fx.grace_ms}
    if isinstance(fx, m.KillGreen):
        return {"kind": "kill_green", "pid": fx.pid}
    if isinstance(fx, m.ReclaimSocket):
        return {"kind": "reclaim_socket"}
    if isinstance(fx, m.Record):
        return {"kind": "record", "record": fx.record}
    if isinstance(fx, m.CheckTakeover):
        return {"kind": "check_takeover", "pid": fx.pid, "timeout_ms": fx.timeout_ms}
    if isinstance(fx, m.StandBy):
        return {"kind": "stand_by", "setup": setup_json(fx.setup)}
    if isinstance(fx, m.AdoptStandby):
        return {"kind": "adopt_standby", "heartbeat_ms": fx.heartbeat_ms}
    if isinstance(fx, m.ToStandby):
        return {"kind": "to_standby", "frame": fx.frame}
    if isinstance(fx, m.CloseStandby):
        return {"kind": "close_standby"}
    if isinstance(fx, m.EndStandby):
        return {"kind": "end_standby", "pid": fx.pid, "frame": fx.frame, "timeout_ms": fx.timeout_ms, "reserve": fx.reserve}
    if isinstance(fx, m.StopServing):
        return {"kind": "stop_serving", "handoff_id": fx.handoff_id}
    assert isinstance(fx, m.Exit)
    return {"kind": "exit"}


def plain(x: object) -> object:
    """Tuples (the machine's immutable lists) as lists, as JSON has them."""
    return json.loads(json.dumps(x))


class BlueTranscripts(unittest.TestCase):
    def test_every_event_gives_the_effects_phase_and_deadline_recorded(self) -> None:
        files = sorted(f for f in os.listdir(DIR) if f.startswith("blue-") and f.endswith(".json"))
        self.assertGreaterEqual(len(files), 4)
        steps = 0
        for name in files:
            for tr in load(name)["transcripts"]:
                me = m.BlueSelf(**tr["self"])
                st = m.initial_state(me, tr["last_verdict"])
                for i, s in enumerate(tr["steps"]):
                    where = f"{name}: {tr['name']}, step {i + 1} ({s['event']['type']})"
                    r = m.step(st, EVENTS[s["event"]["type"]](s["event"]))
                    got = plain([effect_json(fx) for fx in r.effects])
                    if not same(got, s["effects"]):
                        self.fail(f"{where}:\n got  {json.dumps(got)}\n want {json.dumps(s['effects'])}")
                    self.assertEqual(r.state.phase, s["phase"], where)
                    self.assertEqual(r.state.deadline, s["deadline"], where)
                    st = r.state
                    steps += 1
        self.assertGreater(steps, 200)


# --- the standby's transcripts -----------------------------------------------------------------------------

STANDBY_EVENTS: dict[str, Callable[[dict[str, Any]], sm.StandbyEvent]] = {
    "welcome": lambda e: sm.WelcomeEv(e["now"], e["frame"]),
    "refused": lambda e: sm.Refused(e["now"], e["why"], e["answered"]),
    "closed": lambda e: sm.Closed(e["now"]),
    "health": lambda e: sm.HealthEv(e["now"], e["frame"]),
    "end": lambda e: sm.EndEv(e["now"], e["frame"]),
    "stopped": lambda e: sm.StoppedEv(e["now"], e["frame"]),
    "tick": lambda e: sm.Tick(e["now"], e["green_alive"], e["rss_bytes"]),
}


def standby_effect_json(fx: sm.StandbyEffect) -> dict[str, object]:
    """A standby's effect as the vectors write it."""
    if isinstance(fx, sm.Attach):
        return {"kind": "attach"}
    if isinstance(fx, sm.Send):
        return {"kind": "send", "frame": fx.frame}
    if isinstance(fx, sm.Close):
        return {"kind": "close"}
    if isinstance(fx, sm.KillGreen):
        return {"kind": "kill_green", "pid": fx.pid}
    if isinstance(fx, sm.Record):
        return {"kind": "record", "record": fx.record}
    if isinstance(fx, sm.Reclaim):
        return {"kind": "reclaim", "record": fx.record}
    if isinstance(fx, sm.Resume):
        return {"kind": "resume", "cursors": fx.cursors}
    assert isinstance(fx, sm.Leave)
    return {"kind": "exit", "outcome": fx.outcome}


class StandbyTranscripts(unittest.TestCase):
    def test_every_event_gives_the_effects_phase_and_deadline_recorded(self) -> None:
        transcripts = load("standby.json")["transcripts"]
        self.assertGreaterEqual(len(transcripts), 9)
        steps = 0
        for tr in transcripts:
            r = sm.standby_start(setup_of(tr["setup"]), tr["start_at"])
            got = plain([standby_effect_json(fx) for fx in r.effects])
            self.assertTrue(same(got, tr["start"]["effects"]), f"{tr['name']}, start: {got}")
            self.assertEqual((r.state.phase, r.state.deadline), (tr["start"]["phase"], tr["start"]["deadline"]), tr["name"])
            st = r.state
            for i, s in enumerate(tr["steps"]):
                where = f"standby.json: {tr['name']}, step {i + 1} ({s['event']['type']})"
                r = sm.standby_step(st, STANDBY_EVENTS[s["event"]["type"]](s["event"]))
                got = plain([standby_effect_json(fx) for fx in r.effects])
                if not same(got, s["effects"]):
                    self.fail(f"{where}:\n got  {json.dumps(got)}\n want {json.dumps(s['effects'])}")
                self.assertEqual(r.state.phase, s["phase"], where)
                self.assertEqual(r.state.deadline, s["deadline"], where)
                st = r.state
                steps += 1
        self.assertGreater(steps, 50)


if __name__ == "__main__":
    unittest.main()
