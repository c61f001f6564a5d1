"""spawn_green, select_runtime, the restart rule and the atomic files."""

import asyncio
import json
import os
import stat
import sys
import types
import unittest
from pathlib import Path

from hermes_handoff import RuntimeChoiceError, select_runtime, spawn_green, startup_role
from hermes_handoff.files import ensure_token, read_pid_file, read_verdict, verdict_path, write_file_atomic, write_pid_file, write_verdict

from tests.support import TempHome


def record(id_: str, verdict: str) -> dict[str, object]:
    return {"v": 1, "handoff_id": id_, "verdict": verdict, "reason": "r", "release": "a", "runtime": "b", "blue_pid": None,
            "green_pid": 5, "decided_by": "green", "decided_at": 1, "dark_window_ms": None, "timeline": [], "health": []}


class SpawnGreen(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.home = TempHome()

    async def asyncTearDown(self) -> None:
        self.home.cleanup()

    async def test_starts_a_live_green_in_its_own_session_with_the_environment(self) -> None:
        out = os.path.join(self.home.path, "env.json")
        log = os.path.join(self.home.path, "green.log")
        script = (
            "import json, os, sys, time\n"
            f"json.dump({{'id': os.environ['HERMES_HANDOFF_ID'], 'home': os.environ.get('HERMES_HOME'), 'sid': os.getsid(0), 'pid': os.getpid()}}, open({out!r}, 'w'))\n"
            "print('green says hi', flush=True)\n"
            "time.sleep(30)\n"
        )
        os.environ["HERMES_HOME"] = self.home.path
        try:
            proc = await spawn_green([sys.executable, "-c", script], {"HERMES_HANDOFF_ID": "h-1.2_x"}, log_path=log)
        finally:
            del os.environ["HERMES_HOME"]
        try:
            self.assertIsNone(proc.returncode)
            for _ in range(500):
                if os.path.exists(out) and os.path.getsize(out) > 0:
                    break
                await asyncio.sleep(0.01)
            seen = json.loads(Path(out).read_text())
            self.assertEqual((seen["id"], seen["home"], seen["pid"]), ("h-1.2_x", self.home.path, proc.pid))
            self.assertEqual(seen["sid"], proc.pid)  # its own session: it outlives blue's
            os.kill(proc.pid, 0)
        finally:
            proc.kill()
            await proc.wait()
        self.assertIn("green says hi", Path(log).read_text())
        self.assertEqual(stat.S_IMODE(os.stat(log).st_mode), 0o600)

    async def test_refuses_bad_input_before_starting_anything(self) -> None:
        cases = [
            ([sys.executable], {}, "spawn_green: env must set HERMES_HANDOFF_ID to the reserved handoff id"),
            ([sys.executable], {"HERMES_HANDOFF_ID": "../x"}, "spawn_green: HERMES_HANDOFF_ID: invalid handoff id '../x': a handoff id is 1-64 characters of A-Z a-z 0-9 . _ -"),
            ([], {"HERMES_HANDOFF_ID": "h"}, "spawn_green: command must be a non-empty list"),
            ("python3 gw.py", {"HERMES_HANDOFF_ID": "h"}, "spawn_green: command must be a non-empty list"),
        ]
        for command, env, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(ValueError) as e:
                    await spawn_green(command, env)  # type: ignore[arg-type]
                self.assertTrue(str(e.exception).startswith(message), str(e.exception))
        with self.assertRaises(OSError) as e2:
            await spawn_green(["/nonexistent/green"], {"HERMES_HANDOFF_ID": "h"})
        self.assertIn("cannot start '/nonexistent/green'", str(e2.exception))


class SelectRuntime(unittest.TestCase):
    def test_the_import_switch(self) -> None:
        modules = {"agent.legacy": types.ModuleType("agent.legacy"), "agent.claw": types.ModuleType("agent.claw")}
        imported: list[str] = []

        def importer(name: str) -> types.ModuleType:
            imported.append(name)
            if name not in modules:
                raise ImportError(f"No module named {name!r}")
            return modules[name]

        choices = {"legacy": "agent.legacy", "claw": "agent.claw", "broken": "agent.broken"}
        r = select_runtime(choices, env={"HERMES_RUNTIME": "claw"}, importer=importer)
        self.assertEqual((r.name, r.module), ("claw", modules["agent.claw"]))
        self.assertEqual(select_runtime(choices, env={}, importer=importer).name, "legacy")
        self.assertEqual(select_runtime(choices, env={"HERMES_RUNTIME": ""}, importer=importer).name, "legacy")
        with self.assertRaises(RuntimeChoiceError) as e:
            select_runtime(choices, env={"HERMES_RUNTIME": "claw2"}, importer=importer)
        self.assertEqual(str(e.exception), "HERMES_RUNTIME='claw2' is not a runtime this gateway has; expected one of broken, claw, legacy")
        with self.assertRaises(RuntimeChoiceError) as e:
            select_runtime(choices, env={"HERMES_RUNTIME": "broken"}, importer=importer)
        self.assertIn("selects module agent.broken, which failed to import", str(e.exception))

    def test_real_import_and_process_environment(self) -> None:
        os.environ["HERMES_RUNTIME"] = "claw"
        try:
            self.assertIs(select_runtime({"legacy": "json", "claw": "decimal"}).module, sys.modules["decimal"])
        finally:
            del os.environ["HERMES_RUNTIME"]


class RestartRule(unittest.TestCase):
    def setUp(self) -> None:
        self.home = TempHome()

    def tearDown(self) -> None:
        self.home.cleanup()

    def test_what_a_process_is(self) -> None:
        h = self.home.path
        self.assertEqual(startup_role(h, {}).role, "blue")
        self.assertEqual(startup_role(h, {"HERMES_HANDOFF_ID": "h1"}).role, "green")
        write_verdict(h, record("h1", "promoted"))  # type: ignore[arg-type]
        s = startup_role(h, {"HERMES_HANDOFF_ID": "h1"})
        self.assertEqual((s.role, s.verdict["verdict"] if s.verdict else None), ("restart-blue", "promoted"))
        for verdict in ("rolled-back", "failed", "reverted"):
            write_verdict(h, record("h2", verdict))  # type: ignore[arg-type]
            s = startup_role(h, {"HERMES_HANDOFF_ID": "h2"})
            self.assertEqual((s.role, s.reason), ("exit", f"handoff h2 already ended {verdict}; nothing to do"))
        with open(verdict_path(h, "h3"), "w") as f:
            f.write("{not json")
        self.assertEqual(startup_role(h, {"HERMES_HANDOFF_ID": "h3"}).role, "exit")
        with self.assertRaises(ValueError) as e:
            startup_role(h, {"HERMES_HANDOFF_ID": "a b"})
        self.assertTrue(str(e.exception).startswith("HERMES_HANDOFF_ID: invalid handoff id"))


class Files(unittest.TestCase):
    def setUp(self) -> None:
        self.home = TempHome()

    def tearDown(self) -> None:
        self.home.cleanup()

    def test_atomic_writes_modes_and_validation(self) -> None:
        h = self.home.path
        p = os.path.join(h, "f")
        write_file_atomic(p, "one")
        write_file_atomic(p, b"two", 0o644)
        self.assertEqual(Path(p).read_text(), "two")
        self.assertEqual(os.listdir(h), ["f"])  # no temp file left
        write_pid_file(h, 4321)
        self.assertEqual((read_pid_file(h), stat.S_IMODE(os.stat(os.path.join(h, "gateway.pid")).st_mode)), (4321, 0o644))
        write_verdict(h, record("h1", "failed"))  # type: ignore[arg-type]
        self.assertEqual(stat.S_IMODE(os.stat(verdict_path(h, "h1")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(verdict_path(h, "h1"))).st_mode), 0o700)
        self.assertEqual(read_verdict(h, "h1")["verdict"], "failed")  # type: ignore[index]
        bad = dict(record("h2", "failed"), green_pid=True)
        with open(verdict_path(h, "h2"), "w") as f:
            json.dump(bad, f)
        self.assertIsNone(read_verdict(h, "h2"))  # a boolean is not a pid
        with self.assertRaises(ValueError):
            verdict_path(h, "../etc")
        sock = os.path.join(h, "run", "handoff.sock")
        token = ensure_token(sock)
        os.chmod(os.path.join(h, "run", "handoff.token"), 0o644)
        self.assertEqual(ensure_token(sock), token)  # kept, and its mode reset
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(h, "run", "handoff.token")).st_mode), 0o600)


if __name__ == "__main__":
    unittest.main()
