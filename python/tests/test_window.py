"""The observation window in one process: the real blue, green and standby roles over a real Unix socket
(pids faked so the roles tell each other apart). Green killed, failing its health, restarted; the standby
killed; a new promotion during the window."""

import asyncio
import re
import unittest
from collections.abc import Callable

from hermes_handoff import Blue, Observer, Serving, read_verdict, still_promoted, telegram
from hermes_handoff.observer import welcome_pid
from hermes_handoff.seam import SystemClock

from tests.support import FakeGateway, FakeOs
from tests.test_roles import STORE, RoleCase

#: Short deadlines: heartbeats every 50 ms in the bake, a restart grace of 300 ms.
DEADLINES = {"heartbeat_ms": 50, "rollback_grace_ms": 1000, "drain_ms": 1000, "restart_grace_ms": 300}


async def until(pred: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Waits (polling every 10 ms) until `pred()` holds; fails naming `what` after `timeout_s`."""
    loop = asyncio.get_running_loop()
    by = loop.time() + timeout_s
    while not pred():
        if loop.time() > by:
            raise AssertionError(f"no {what} within {timeout_s} s")
        await asyncio.sleep(0.01)


class Window(RoleCase):
    async def promoted(
        self, observe_ms: int, deadlines: dict[str, int] = DEADLINES, **observe_thresholds: object
    ) -> tuple[Blue, FakeGateway, FakeGateway, Blue, Observer]:
        """Blue (pid 1001) promotes green (pid 2002) with a window of `observe_ms`; returns once the standby observes."""
        self.a, self.b = FakeGateway(offset=72), FakeGateway(offset=0)
        blue = await self.start_blue(self.a)
        obs = await Observer.connect(self.home.socket, blue.token)
        await obs.reserve(
            "h1", "r1", "claw", 200, deadlines=deadlines, thresholds={"min_messages": 0},
            observe_ms=observe_ms, observe_thresholds=observe_thresholds or None,
        )
        result = await asyncio.wait_for(self.green(self.b).run(lambda: asyncio.sleep(0.02)), 10)
        self.assertIsInstance(result, Serving)
        assert isinstance(result, Serving)
        self.blues.append(result.blue)
        await until(lambda: blue.standby_state is not None and blue.standby_state.phase == "observing", 5, "standby observing")
        return blue, self.a, self.b, result.blue, obs

    def record(self) -> dict[str, object]:
        r = read_verdict(self.home.path, "h1")
        assert r is not None
        return dict(r)

    async def taken_back(self, blue: Blue) -> dict[str, object]:
        """Everything a take-back leaves behind: blue serves alone on the socket from green's last cursors, reverted."""
        await until(lambda: blue.standby_state is None and (blue.state.last_verdict or {}).get("verdict") == "reverted", 10, "take-back")
        await until(lambda: self.a.polling, 5, "blue polling again")
        rec = self.record()
        self.assertEqual(rec["verdict"], "reverted")
        self.assertEqual(rec["observation"]["outcome"], "reverted")  # type: ignore[index]
        self.assertEqual(rec["observation"]["ended_at"], rec["decided_at"])  # type: ignore[index]
        self.assertEqual([t["phase"] for t in rec["timeline"]][-3:], ["complete", "observing", "reverted"])  # type: ignore[attr-defined]
        self.assertEqual(blue.state.phase, "idle")
        self.assertEqual(blue.state.last_verdict, rec)
        self.assertEqual((await welcome_pid(self.home.socket, blue.token, SystemClock(), 2000))[0], 1001)
        self.assertFalse(still_promoted(self.home.path, "h1"))
        return rec

    async def test_the_window_passes_and_the_standby_leaves(self) -> None:
        blue, a, b, gb, obs = await self.promoted(1500)
        file = self.record()
        self.assertEqual(file["verdict"], "promoted")
        self.assertEqual(file["observation"]["outcome"], "observing")  # type: ignore[index]
        self.assertEqual(a.resumed_with, [])
        o2 = await Observer.connect(self.home.socket, blue.token)
        await until(lambda: gb.state.standby is not None and gb.state.standby.rss_bytes is not None, 5, "STANDBY_STATUS")
        st = await o2.status()
        self.assertEqual(st["server_pid"], 2002)
        self.assertEqual(st["standby"], {"pid": 1001, "handoff_id": "h1", "until": file["observation"]["until"], "rss_bytes": 40 << 20})  # type: ignore[index]
        outcome = await asyncio.wait_for(blue.wait(), 10)
        self.assertEqual((outcome.how, outcome.observation), ("replaced", "passed"))
        rec = self.record()
        self.assertEqual((rec["verdict"], rec["reason"]), ("promoted", file["reason"]))
        self.assertEqual(rec["observation"]["outcome"], "passed")  # type: ignore[index]
        self.assertGreaterEqual(rec["observation"]["ended_at"], rec["observation"]["until"])  # type: ignore[index]
        self.assertEqual([t["phase"] for t in rec["timeline"]][-2:], ["observing", "observed"])  # type: ignore[attr-defined]
        self.assertTrue(b.polling)
        self.assertEqual(a.resumed_with, [])
        o2.close()
        obs.close()

    async def test_green_killed_the_standby_takes_back_from_its_last_cursors(self) -> None:
        blue, a, b, gb, obs = await self.promoted(60_000)
        await asyncio.sleep(1.2)  # a HEALTH or two on the standby's connection
        last = b.cursors()
        self.alive.discard(2002)
        await gb.close()
        b.polling = False
        rec = await self.taken_back(blue)
        self.assertRegex(str(rec["reason"]), r"^green \(pid 2002\) exited [\d.]+ (ms|s) after promotion; blue resumed from its cursors$")
        self.assertEqual(a.resumed_with, [last])
        obs.close()

    async def test_green_failing_its_health_is_stopped_and_hands_its_cursors_back(self) -> None:
        blue, a, b, gb, obs = await self.promoted(60_000, consecutive=2)
        b.errors = True
        rec = await self.taken_back(blue)
        self.assertRegex(
            str(rec["reason"]),
            r"^green \(pid 2002\): error rate 100% > 20% in 2 consecutive samples, [\d.]+ s after promotion; blue resumed from its cursors$",
        )
        out = await asyncio.wait_for(gb.wait(), 5)
        self.assertEqual((out.how, out.reason), ("taken-back", rec["reason"]))
        self.assertFalse(b.polling)
        self.assertEqual(a.resumed_with, [b.cursors()])
        self.assertIn(2002, self.alive)  # it stopped when told: no signal
        obs.close()

    async def test_the_standby_killed_green_serves_on_and_records_standby_lost(self) -> None:
        blue, a, b, gb, obs = await self.promoted(60_000)
        await asyncio.sleep(0.3)
        self.alive.discard(1001)
        await blue.close()
        await until(lambda: self.record()["observation"]["outcome"] == "standby-lost", 5, "standby-lost")  # type: ignore[index]
        rec = self.record()
        self.assertEqual(rec["verdict"], "promoted")
        self.assertRegex(rec["observation"]["reason"], r"^the standby \(pid 1001\) exited [\d.]+ (ms|s) after promotion; green serves unobserved$")  # type: ignore[index]
        self.assertTrue(b.polling)
        self.assertIsNone(gb.state.standby)
        self.assertEqual(gb.state.phase, "idle")
        self.assertEqual(a.resumed_with, [])
        obs.close()

    async def test_a_new_promotion_during_the_window_supersedes_the_standby_first(self) -> None:
        blue, a, b, gb, obs = await self.promoted(60_000)

        async def standby_exits() -> None:
            await blue.wait()
            self.alive.discard(1001)  # the process would exit now

        leaving = asyncio.ensure_future(standby_exits())
        o2 = await Observer.connect(self.home.socket, blue.token)
        reserved = await o2.reserve("h2", "r2", "claw", 200, deadlines=DEADLINES, timeout_ms=8_000)
        self.assertEqual(reserved["handoff_id"], "h2")
        await leaving
        outcome = await blue.wait()
        self.assertEqual((outcome.how, outcome.observation), ("replaced", "superseded"))
        rec = self.record()
        self.assertEqual(rec["verdict"], "promoted")
        self.assertEqual(rec["observation"]["outcome"], "superseded")  # type: ignore[index]
        self.assertEqual(rec["observation"]["reason"], "superseded by handoff h2")  # type: ignore[index]
        self.assertEqual(gb._os.signals, [])  # type: ignore[attr-defined]  # it left when told: no SIGKILL
        self.assertIsNone(gb.state.standby)
        self.assertEqual(gb.state.phase, "reserved")
        o2.close()
        obs.close()

    async def test_green_restarted_inside_the_grace_is_observed_on(self) -> None:
        blue, a, b, gb, obs = await self.promoted(2500, {**DEADLINES, "restart_grace_ms": 3000})
        self.alive.discard(2002)
        await gb.close()
        # The supervisor starts green again: it serves as blue from its store (restart rule), same release.
        c = FakeGateway(offset=500)
        restarted = Blue(
            c, home=self.home.path, release="r1", runtime="claw", store=STORE,  # type: ignore[arg-type]
            peer_os=FakeOs(2003, self.alive), log=self.logs.append, last_verdict=read_verdict(self.home.path, "h1"),
        )
        await restarted.start()
        self.blues.append(restarted)
        await c.resume(None)
        await until(lambda: blue.standby_state is not None and blue.standby_state.green_pid == 2003, 5, "standby observing the restart")
        outcome = await asyncio.wait_for(blue.wait(), 10)
        self.assertEqual((outcome.how, outcome.observation), ("replaced", "passed"))
        self.assertEqual(self.record()["verdict"], "promoted")
        self.assertEqual(a.resumed_with, [])
        self.assertTrue(c.polling)
        obs.close()

    async def test_no_window_blue_leaves_at_once(self) -> None:
        a, b = FakeGateway(offset=72), FakeGateway()
        blue = await self.start_blue(a)
        obs = await Observer.connect(self.home.socket, blue.token)
        await obs.reserve("h1", "r1", "claw", 100, deadlines=DEADLINES, thresholds={"min_messages": 0}, observe_ms=0)
        result = await asyncio.wait_for(self.green(b).run(lambda: asyncio.sleep(0)), 10)
        assert isinstance(result, Serving)
        self.blues.append(result.blue)
        outcome = await asyncio.wait_for(blue.wait(), 5)
        self.assertEqual((outcome.how, outcome.observation), ("replaced", None))
        self.assertNotIn("observation", self.record())
        self.assertTrue(re.match(r"^bake of 100 ms passed", str(self.record()["reason"])))
        obs.close()


if __name__ == "__main__":
    unittest.main()
