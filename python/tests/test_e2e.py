"""End to end: the fake platforms (Node: Telegram and Discord at once) + the Python reference gateway as blue and
as green, a promotion and a rollback under load, then the platforms' own accounting: nothing lost, nothing
answered twice, no conflict, and every Discord handover a RESUME of the one session."""

import asyncio
import json
import os
import shutil
import signal
import sys
import unittest
import urllib.request
from typing import Any

from hermes_handoff import Observer, PeerError, read_token, read_verdict, spawn_green

from tests.support import TempHome

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The Node test runner passes a bundle built from the current sources; by hand, `npm run build` makes dist/.
CLI = os.environ.get("HERMES_HANDOFF_CLI") or os.path.join(REPO, "dist", "cli.js")
GATEWAY = os.path.join(REPO, "python", "examples", "gateway.py")
NODE = shutil.which("node")


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "/stats", timeout=5) as r:
        out = json.loads(r.read())
    assert isinstance(out, dict)
    return out


def post(url: str, path: str, body: object) -> None:
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        r.read()


def set_rate(url: str, rate: float) -> None:
    post(url, "/control/rate", {"rate": rate})


class _World(unittest.IsolatedAsyncioTestCase):
    """A fake platform (kinds `KINDS`), a temp home, the gateways started; the helpers the tests share."""

    KINDS = "telegram,discord"

    async def asyncSetUp(self) -> None:
        self.home = TempHome()
        self.procs: list[asyncio.subprocess.Process] = []
        assert NODE is not None
        self.platform = await asyncio.create_subprocess_exec(
            NODE, CLI, "fake-platform", "--port", "0", "--rate", "20", "--kinds", self.KINDS, "--heartbeat-ms", "1000",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
        self.procs.append(self.platform)
        assert self.platform.stdout is not None
        self.url = (await asyncio.wait_for(self.platform.stdout.readline(), 15)).decode().strip()
        self.assertTrue(self.url.startswith("http://127.0.0.1:"), self.url)

    async def asyncTearDown(self) -> None:
        for p in reversed(self.procs):
            if p.returncode is None:
                p.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(p.wait(), 10)
                except asyncio.TimeoutError:
                    p.kill()
                    await p.wait()
        self.home.cleanup()

    def gateway_args(self, impl: str = "python") -> list[str]:
        """The reference gateway's command line: Python's with one adapter per kind, or Node's (Telegram only)."""
        if impl == "node":
            assert NODE is not None
            return [NODE, CLI, "example-gateway", "--home", self.home.path, "--platform", self.url, "--init-ms", "300", "--poll-timeout", "2"]
        platforms = [a for k in self.KINDS.split(",") for a in ("--platform", f"{k}={self.url}")]
        return [sys.executable, GATEWAY, "--home", self.home.path, *platforms, "--init-ms", "300", "--poll-timeout", "2"]

    async def observer(self, deadline_s: float = 15) -> Observer:
        end = asyncio.get_running_loop().time() + deadline_s
        while True:
            token = read_token(self.home.socket)
            if token:
                try:
                    return await Observer.connect(self.home.socket, token, timeout_ms=2000)
                except PeerError:
                    pass
            if asyncio.get_running_loop().time() > end:
                raise AssertionError("the gateway never answered on its socket")
            await asyncio.sleep(0.05)

    async def handoff(
        self, handoff_id: str, release: str, bake_ms: int, *extra: str, impl: str = "python", deadlines: dict[str, int] | None = None, **window: Any
    ) -> tuple[dict[str, Any], asyncio.subprocess.Process]:
        obs = await self.observer()
        verdict: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        def on_event(e: Any) -> None:
            if e["kind"] == "verdict" and not verdict.done():
                verdict.set_result(e["record"])

        await obs.subscribe(on_event)
        await obs.reserve(handoff_id, release, "claw", bake_ms, deadlines=deadlines or {"heartbeat_ms": 200}, **window)
        green = await spawn_green(
            [*self.gateway_args(impl), *extra],
            {"HERMES_HANDOFF_ID": handoff_id, "HERMES_RELEASE": release, "HERMES_RUNTIME": "claw"},
            log_path=os.path.join(self.home.path, f"green-{handoff_id}.log"),
        )
        self.procs.append(green)
        try:
            record = await asyncio.wait_for(verdict, 40)
        finally:
            obs.close()
        return record, green

    async def start_blue(self, impl: str = "python") -> asyncio.subprocess.Process:
        with open(os.path.join(self.home.path, "blue.log"), "wb") as log:
            blue = await asyncio.create_subprocess_exec(
                *self.gateway_args(impl), env={**os.environ, "HERMES_RELEASE": "r1", "HERMES_RUNTIME": "legacy"}, stderr=log
            )
        self.procs.append(blue)
        obs = await self.observer()
        self.assertEqual(obs.welcome["server_pid"], blue.pid)  # type: ignore[index]
        obs.close()
        # Discord owes a message only to the sessions that exist when it is sent: count from blue's first answers on.
        await asyncio.sleep(1)
        await asyncio.to_thread(post, self.url, "/stats/reset", {})
        await asyncio.sleep(1)  # some traffic before the handoff
        return blue

    async def settled(self) -> dict[str, Any]:
        """Stops production and waits for the last answers; the platform's accounting then."""
        await asyncio.to_thread(set_rate, self.url, 0)
        end = asyncio.get_running_loop().time() + 10
        while True:
            s = await asyncio.to_thread(stats, self.url)
            if s["pending"] == 0 or asyncio.get_running_loop().time() > end:
                return s
            await asyncio.sleep(0.2)

    async def reverted(self, handoff_id: str, timeout_s: float = 30) -> dict[str, Any]:
        end = asyncio.get_running_loop().time() + timeout_s
        while True:
            rec = read_verdict(self.home.path, handoff_id)
            if rec is not None and rec["verdict"] == "reverted":
                return dict(rec)
            if asyncio.get_running_loop().time() > end:
                raise AssertionError(f"handoff {handoff_id} not reverted within {timeout_s} s: {rec}")
            await asyncio.sleep(0.1)

    async def window_take_back(
        self, fault: str, blue_impl: str = "python", green_impl: str = "python"
    ) -> tuple[dict[str, Any], asyncio.subprocess.Process, asyncio.subprocess.Process]:
        """Blue promotes a green with `fault` inside an observation window; returns once blue took back and the
        platform's accounting says nothing was lost, duplicated or answered by two pollers."""
        blue = await self.start_blue(blue_impl)
        window_deadlines = {"heartbeat_ms": 200, "restart_grace_ms": 1000, "drain_ms": 3000, "rollback_grace_ms": 5000}
        record, green = await self.handoff(
            "w-1", "r2", 1500, "--fault", fault, impl=green_impl, deadlines=window_deadlines,
            observe_ms=60_000, observe_thresholds={"consecutive": 3, "max_heartbeat_age_ms": 5000},
        )
        self.assertEqual(record["verdict"], "promoted", record["reason"])
        self.assertEqual(record["observation"]["outcome"], "observing")
        rec = await self.reverted("w-1")
        self.assertEqual(rec["observation"]["outcome"], "reverted")
        self.assertEqual((rec["blue_pid"], rec["green_pid"]), (blue.pid, green.pid))
        await asyncio.wait_for(green.wait(), 15)
        self.assertIsNone(blue.returncode, "blue serves again")
        obs = await self.observer()
        self.assertEqual((obs.welcome["server_pid"], obs.welcome["release"]), (blue.pid, "r1"))  # type: ignore[index]
        st = await obs.status()
        self.assertEqual((st["last_verdict"]["verdict"], st["standby"]), ("reverted", None))  # type: ignore[index]
        obs.close()
        with open(os.path.join(self.home.path, "gateway.pid")) as f:
            self.assertEqual(int(f.read()), blue.pid)
        await asyncio.sleep(1.5)  # blue answers again after the take-back
        s = await self.settled()
        self.assertEqual((s["pending"], s["lost"], s["duplicated"], s["conflicts"]), (0, 0, 0, 0), s)
        for kind in self.KINDS.split(","):
            self.assertGreater(s["platforms"][kind]["replied"], 20, s)
        return rec, blue, green



@unittest.skipUnless(NODE and os.path.exists(CLI), "needs node and dist/cli.js (npm run build) for the fake platform")
class PythonBlueAndGreen(_World):
    async def test_promotion_then_rollback_loses_nothing(self) -> None:
        with open(os.path.join(self.home.path, "blue.log"), "wb") as log:
            blue = await asyncio.create_subprocess_exec(
                *self.gateway_args(), env={**os.environ, "HERMES_RELEASE": "r1", "HERMES_RUNTIME": "legacy"}, stderr=log
            )
        self.procs.append(blue)
        obs = await self.observer()
        self.assertEqual(obs.welcome["server_pid"], blue.pid)  # type: ignore[index]
        obs.close()
        # Discord owes a message only to the sessions that exist when it is sent: count from blue's first answers on.
        await asyncio.sleep(1)
        await asyncio.to_thread(post, self.url, "/stats/reset", {})
        await asyncio.sleep(1)  # some traffic before the handoff

        record, green = await self.handoff("e2e-1", "r2", 2000)
        self.assertEqual(record["verdict"], "promoted", record["reason"])
        self.assertEqual((record["blue_pid"], record["green_pid"]), (blue.pid, green.pid))
        self.assertEqual(await asyncio.wait_for(blue.wait(), 10), 0)
        obs = await self.observer()
        self.assertEqual((obs.welcome["server_pid"], obs.welcome["release"]), (green.pid, "r2"))  # type: ignore[index]
        obs.close()

        record, green2 = await self.handoff("e2e-2", "r3", 5000, "--fault", "error-burst")
        self.assertEqual(record["verdict"], "rolled-back")
        self.assertEqual(record["reason"], "error rate 100% > 5% in 3 consecutive samples")
        self.assertEqual(await asyncio.wait_for(green2.wait(), 15), 0)
        obs = await self.observer()
        self.assertEqual(obs.welcome["server_pid"], green.pid)  # type: ignore[index]
        obs.close()

        await asyncio.sleep(1.5)  # the promoted green keeps answering after the rollback
        await asyncio.to_thread(set_rate, self.url, 0)  # stop producing; wait for the last answers to land
        end = asyncio.get_running_loop().time() + 10
        while True:
            s = await asyncio.to_thread(stats, self.url)
            if s["pending"] == 0 or asyncio.get_running_loop().time() > end:
                break
            await asyncio.sleep(0.2)
        self.assertGreater(s["produced"], 60)
        self.assertEqual((s["pending"], s["lost"], s["duplicated"], s["conflicts"]), (0, 0, 0, 0), s)
        discord = s["platforms"]["discord"]
        self.assertGreater(discord["replied"], 20, discord)
        # Promotion, rollback: the session went to green and came back by RESUME, never a second IDENTIFY.
        self.assertEqual(discord["identifies"], 0, discord)
        self.assertGreaterEqual(discord["resumes"], 2, discord)
        self.assertEqual(green.returncode, None)

    async def test_window_green_crashing_after_promotion_is_taken_back(self) -> None:
        rec, blue, green = await self.window_take_back("crash-after-promotion")
        self.assertRegex(rec["reason"], rf"^green \(pid {green.pid}\) exited [\d.]+ s after promotion; blue resumed from its cursors$")
        self.assertEqual(green.returncode, -signal.SIGKILL)

    async def test_window_green_failing_its_health_after_promotion_is_stopped_and_taken_back(self) -> None:
        rec, blue, green = await self.window_take_back("error-burst-after-promotion")
        self.assertRegex(
            rec["reason"],
            rf"^green \(pid {green.pid}\): error rate 100% > 20% in 3 consecutive samples, [\d.]+ s after promotion; blue resumed from its cursors$",
        )
        self.assertEqual(green.returncode, 0, "green stopped when told and exited 0")


@unittest.skipUnless(NODE and os.path.exists(CLI), "needs node and dist/cli.js (npm run build) for the fake platform")
class CrossLanguageWindow(_World):
    """The observation window across the languages (Telegram only: the Node reference gateway has no Discord adapter)."""

    KINDS = "telegram"

    async def test_a_python_standby_takes_back_a_node_green_that_crashed(self) -> None:
        rec, blue, green = await self.window_take_back("crash-after-promotion", "python", "node")
        self.assertRegex(rec["reason"], rf"^green \(pid {green.pid}\) exited [\d.]+ s after promotion; blue resumed from its cursors$")

    async def test_a_node_standby_stops_and_takes_back_a_python_green_failing_its_health(self) -> None:
        rec, blue, green = await self.window_take_back("error-burst-after-promotion", "node", "python")
        self.assertRegex(
            rec["reason"],
            rf"^green \(pid {green.pid}\): error rate 100% > 20% in 3 consecutive samples, [\d.]+ s after promotion; blue resumed from its cursors$",
        )
        self.assertEqual(green.returncode, 0, "green stopped when told and exited 0")


if __name__ == "__main__":
    unittest.main()
