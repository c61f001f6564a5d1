"""Unit tests of host-agent/hermes-handoff-agent: parsing, validation, bounded reads, the relay.

Run: python3 -m unittest discover -s test/host-agent -p 'test_*.py' (test/host-agent/unit.test.ts does).
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
AGENT_PATH = ROOT / "host-agent" / "hermes-handoff-agent"
DOC = ROOT / "docs" / "host-setup.md"


def load_agent() -> ModuleType:
    """Imports the agent script (it has no .py suffix) as a module."""
    loader = importlib.machinery.SourceFileLoader("hermes_handoff_agent", str(AGENT_PATH))
    spec = importlib.util.spec_from_loader("hermes_handoff_agent", loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["hermes_handoff_agent"] = mod  # as an import would, for anything that looks the module up
    loader.exec_module(mod)
    return mod


agent = load_agent()


def documented_block(marker: str) -> str:
    """The fenced block right after `<!-- hermes-handoff:<marker> -->` in docs/host-setup.md."""
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"<!-- hermes-handoff:%s -->\n```[a-z]*\n(.*?)\n```" % re.escape(marker), text, re.S)
    if not m:
        raise AssertionError("docs/host-setup.md has no block after <!-- hermes-handoff:%s -->" % marker)
    return m.group(1)


def run_agent(args: List[str], original: Optional[str] = None, stdin: bytes = b"",
              env: Optional[Dict[str, str]] = None) -> Tuple[int, str, str]:
    """Runs the agent script as a process; returns (exit status, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items() if k != "SSH_ORIGINAL_COMMAND"}
    if original is not None:
        e["SSH_ORIGINAL_COMMAND"] = original
    e.update(env or {})
    p = subprocess.run([sys.executable, str(AGENT_PATH)] + args, input=stdin, capture_output=True, env=e, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class Refusal(unittest.TestCase):
    def assertRefused(self, fn, code: int, pattern: str) -> None:  # noqa: N802 (unittest style)
        with self.assertRaises(agent.AgentError) as cm:
            fn()
        self.assertEqual(cm.exception.code, code, cm.exception.message)
        self.assertRegex(cm.exception.message, pattern)


class SplitCommand(Refusal):
    def test_accepts_operations_and_strips_the_program_name(self) -> None:
        self.assertEqual(agent.split_command("hello"), ["hello"])
        self.assertEqual(agent.split_command("hermes-handoff-agent verdict abc-1.2_3"), ["verdict", "abc-1.2_3"])
        self.assertEqual(agent.split_command("tail 'id-1' 40"), ["tail", "id-1", "40"])
        self.assertEqual(agent.split_command("  pid-runs   42 "), ["pid-runs", "42"])

    def test_refuses_shell_syntax_and_control_characters(self) -> None:
        for cmd in ["hello; id", "hello && id", "hello | cat", "$(id)", "`id`", "hello > /tmp/x", "hello < /etc/passwd",
                    "hello\nid", "hello\tid", 'verdict "x"', "verdict x*", "verdict ~", "hello #", "a\\b", "hello\x00",
                    "{hello,token}", "hello!", "(hello)", "héllo"]:
            with self.subTest(cmd=cmd):
                self.assertRefused(lambda: agent.split_command(cmd), agent.EXIT_REFUSED, r"contains .*no operation uses")

    def test_refuses_long_commands_and_unbalanced_quotes(self) -> None:
        self.assertRefused(lambda: agent.split_command("a" * 1025), agent.EXIT_REFUSED, r"1025 characters")
        self.assertRefused(lambda: agent.split_command("verdict 'abc"), agent.EXIT_REFUSED, r"cannot be split")


class ParseOperation(Refusal):
    def test_parses_arguments(self) -> None:
        op, args = agent.parse_operation(["tail", "abc", "100"], False)
        self.assertEqual((op.name, args), ("tail", ["abc", 100]))
        op, args = agent.parse_operation(["tail", "abc"], False)
        self.assertEqual(args, ["abc"])
        op, args = agent.parse_operation(["pid-runs", "2147483647"], False)
        self.assertEqual(args, [2147483647])
        self.assertEqual(agent.parse_operation(["verdicts"], True)[1], [])

    def test_refuses_bad_arguments(self) -> None:
        cases = [
            (["verdict", ".."], r"handoff id"), (["verdict", "."], r"handoff id"), (["verdict", "../etc/passwd"], r"handoff id"),
            (["verdict", "a" * 65], r"handoff id"), (["verdict", "a/b"], r"handoff id"), (["verdict", ""], r"handoff id"),
            (["pid-runs", "0"], r"pid"), (["pid-runs", "-1"], r"pid"), (["pid-runs", "01"], r"pid"), (["pid-runs", "1e3"], r"pid"),
            (["pid-runs", "2147483648"], r"pid"), (["tail", "x", "0"], r"line count"), (["tail", "x", "1001"], r"line count"),
            (["verdicts", "51"], r"count"), (["hello", "extra"], r"takes no arguments; got 1 argument"),
            (["verdict"], r"takes <id>; got 0"), (["verdict", "a", "b"], r"takes <id>; got 2"),
            (["tail", "a", "1", "2"], r"takes <id> \[lines\]"), (["sh", "-c", "id"], r'unknown operation "sh"'),
            (["--config", "/tmp/x", "hello"], r'unknown operation "--config"'), (["--read-only", "hello"], r"unknown operation"),
            ([], r"no operation given"), (["rm", "-rf", "/"], r'unknown operation "rm"'),
        ]
        for words, pattern in cases:
            with self.subTest(words=words):
                self.assertRefused(lambda: agent.parse_operation(words, False), agent.EXIT_REFUSED, pattern)

    def test_read_only_key_may_use_only_its_operations(self) -> None:
        for words in (["token"], ["socket"], ["launch", "a"], ["prepare", "a"], ["pid-runs", "1"], ["stop-green", "a"], ["tail", "a"]):
            with self.subTest(words=words):
                self.assertRefused(lambda: agent.parse_operation(words, True), agent.EXIT_READ_ONLY, r"read-only; it may use hello, preflight, status, verdict, verdicts")
        for words in (["hello"], ["preflight"], ["status"], ["verdict", "a"], ["verdicts", "3"]):
            self.assertEqual(agent.parse_operation(words, True)[0].name, words[0])

    def test_every_operation_has_a_handler_and_the_ts_side_knows_it(self) -> None:
        self.assertEqual(set(agent.OPS), set(agent.HANDLERS))
        ts = (ROOT / "src" / "host" / "agent.ts").read_text(encoding="utf-8")
        listed = re.search(r"AGENT_OPS = \[(.*?)\] as const", ts, re.S)
        self.assertIsNotNone(listed)
        self.assertEqual(re.findall(r"'([a-z-]+)'", listed.group(1)), list(agent.OPS))
        ro = re.search(r"AGENT_READ_ONLY_OPS: readonly AgentOp\[\] = \[(.*?)\]", ts, re.S)
        self.assertEqual(re.findall(r"'([a-z-]+)'", ro.group(1)), [o.name for o in agent.OPS.values() if o.read_only])
        self.assertIn("AGENT_PROTOCOL = %d;" % agent.AGENT_PROTOCOL, ts)
        exits = dict(re.findall(r"^  (\w+): (\d+),$", re.search(r"AGENT_EXIT = \{(.*?)\} as const", ts, re.S).group(1), re.M))
        python_side = {"ok": agent.EXIT_OK, "no": agent.EXIT_NO, "notFound": agent.EXIT_NOT_FOUND, "refused": agent.EXIT_REFUSED,
                       "badInput": agent.EXIT_BAD_INPUT, "unavailable": agent.EXIT_UNAVAILABLE, "internal": agent.EXIT_INTERNAL,
                       "readOnly": agent.EXIT_READ_ONLY, "config": agent.EXIT_CONFIG, "timeout": agent.EXIT_TIMEOUT}
        self.assertEqual({k: int(v) for k, v in exits.items()}, python_side)


class ConfigFile(unittest.TestCase):
    HOME = "/home/hermes"

    def parse(self, data: object) -> object:
        return agent.parse_config(json.dumps(data), "/etc/x.json", self.HOME)

    def assertConfigError(self, data: object, pattern: str) -> None:  # noqa: N802
        with self.assertRaises(agent.ConfigError) as cm:
            self.parse(data)
        self.assertRegex(str(cm.exception), pattern)

    def test_the_documented_config_parses(self) -> None:
        cfg = agent.parse_config(documented_block("agent-config"), "/etc/hermes-handoff/agent.json", self.HOME)
        self.assertEqual(cfg.hermes_home, "/home/hermes/.hermes")
        self.assertEqual(cfg.socket, "/home/hermes/.hermes/run/handoff.sock")
        self.assertEqual(cfg.token_path, "/home/hermes/.hermes/run/handoff.token")
        self.assertEqual(cfg.green.command, ("/home/hermes/hermes/bin/start-gateway",))
        self.assertEqual(cfg.green.workdir, "/home/hermes/hermes")
        self.assertEqual(cfg.prepare.timeout_seconds, 900)
        # the socket the documented config names is the one the documented permitopen/PermitOpen lines allow
        self.assertIn("[%s]:*" % cfg.socket, documented_block("sshd-config"))
        self.assertIn("[%s]:*" % cfg.socket, documented_block("authorized-keys"))

    def test_defaults(self) -> None:
        cfg = self.parse({"hermes_home": "/srv/h", "green": {"command": ["gw", "--x"]}})
        self.assertEqual(cfg.socket, "/srv/h/run/handoff.sock")
        self.assertEqual(cfg.state_dir, "/srv/h/handoff-agent")
        self.assertEqual(cfg.green.launcher, "process")
        self.assertEqual(cfg.green.workdir, self.HOME)
        self.assertEqual(cfg.green.systemd_unit, "hermes-green@")
        self.assertIsNone(cfg.green.env_allow)
        self.assertIsNone(cfg.prepare)
        self.assertEqual(cfg.green.command, ("gw", "--x"))

    def test_errors_name_the_key_and_what_was_expected(self) -> None:
        ok = {"hermes_home": "/h", "green": {"command": ["x"]}}
        cases = [
            ([], r"expected a JSON object"),
            ({"hermes_home": "/h"}, r"green: expected an object"),
            (dict(ok, gren={}), r"gren: unknown key; expected one of hermes_home, socket"),
            (dict(ok, hermes_home="relative/h"), r"hermes_home: expected an absolute path"),
            (dict(ok, hermes_home=""), r"hermes_home: expected a path"),
            ({"hermes_home": "/h", "green": {"command": "start-gateway"}}, r"green.command: expected a non-empty list of strings"),
            ({"hermes_home": "/h", "green": {"command": []}}, r"green.command"),
            ({"hermes_home": "/h", "green": {"command": ["x"], "launcher": "docker"}}, r'green.launcher: expected "process" or "systemd"'),
            ({"hermes_home": "/h", "green": {"command": ["x"], "systemd_unit": "-x"}}, r"green.systemd_unit"),
            ({"hermes_home": "/h", "green": {"command": ["x"], "env_allow": ["A-B"]}}, r"green.env_allow"),
            ({"hermes_home": "/h", "green": {"command": ["x"], "stop_grace_seconds": 0}}, r"green.stop_grace_seconds"),
            ({"hermes_home": "/h", "green": {"command": ["x"], "stop_grace_seconds": True}}, r"green.stop_grace_seconds"),
            ({"hermes_home": "/h", "green": {"command": ["x"], "cmd": 1}}, r"green.cmd: unknown key"),
            (dict(ok, prepare={"command": ["p"], "timeout_seconds": 0}), r"prepare.timeout_seconds"),
            (dict(ok, prepare={"command": ["p"], "timeout_seconds": 1.5}), r"prepare.timeout_seconds"),
            (dict(ok, prepare=["p"]), r"prepare: expected an object"),
        ]
        for data, pattern in cases:
            with self.subTest(data=data):
                self.assertConfigError(data, pattern)
        with self.assertRaises(agent.ConfigError) as cm:
            agent.parse_config('{"hermes_home": NaN}', "/c", self.HOME)
        self.assertRegex(str(cm.exception), r"NaN is not JSON")
        with self.assertRaises(agent.ConfigError) as cm:
            agent.parse_config("{", "/c", self.HOME)
        self.assertRegex(str(cm.exception), r"^/c: not valid JSON")

    def test_a_config_others_may_write_is_refused(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "agent.json")
            Path(p).write_text(json.dumps({"hermes_home": "/h", "green": {"command": ["x"]}}))
            os.chmod(p, 0o664)
            with self.assertRaises(agent.ConfigError) as cm:
                agent.load_config(p)
            self.assertRegex(str(cm.exception), r"writable by group or others \(mode 664\)")
            os.chmod(p, 0o644)
            self.assertEqual(agent.load_config(p).hermes_home, "/h")
            with self.assertRaises(agent.ConfigError) as cm:
                agent.load_config(os.path.join(d, "missing.json"))
            self.assertRegex(str(cm.exception), r"cannot read the config file .*--config FILE")


class BoundedReads(Refusal):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def test_reads_regular_files_only_and_never_more_than_the_cap(self) -> None:
        Path(self.path("f")).write_bytes(b"x" * 10)
        self.assertEqual(agent.read_regular(self.path("f"), 10, "f"), b"x" * 10)
        self.assertRefused(lambda: agent.read_regular(self.path("f"), 9, "the file"), agent.EXIT_BAD_INPUT, r"is 10 bytes; at most 9")
        os.symlink(self.path("f"), self.path("link"))
        self.assertRefused(lambda: agent.read_regular(self.path("link"), 100, "the file"), agent.EXIT_BAD_INPUT, r"symbolic link")
        os.mkfifo(self.path("fifo"))
        self.assertRefused(lambda: agent.read_regular(self.path("fifo"), 100, "the file"), agent.EXIT_BAD_INPUT, r"not a regular file")
        self.assertRefused(lambda: agent.read_regular(self.path("none"), 100, "the file"), agent.EXIT_NOT_FOUND, r"does not exist")

    def config(self) -> object:
        return agent.parse_config(json.dumps({"hermes_home": self.dir, "green": {"command": ["x"]}}), "/c", "/")

    def test_token_format(self) -> None:
        cfg = self.config()
        os.makedirs(os.path.join(self.dir, "run"))
        tok = "0123456789abcdef" * 4
        Path(cfg.token_path).write_text(tok + "\n")
        self.assertEqual(agent.read_token(cfg), tok)
        for bad in [tok.upper(), tok[:-1], tok + "0", "x" * 100_000, "", tok + "\n" + tok]:
            Path(cfg.token_path).write_text(bad)
            with self.subTest(size=len(bad)):
                with self.assertRaises(agent.AgentError) as cm:
                    agent.read_token(cfg)
                self.assertEqual(cm.exception.code, agent.EXIT_BAD_INPUT)
                self.assertNotIn(bad[:64] or "\x00", cm.exception.message)

    def test_tail(self) -> None:
        p = self.path("log")
        Path(p).write_bytes(b"".join(b"line %d\n" % i for i in range(100)))
        self.assertEqual(agent.tail_bytes(p, 3), b"line 97\nline 98\nline 99\n")
        Path(p).write_bytes(b"a\nb\nno newline at the end")
        self.assertEqual(agent.tail_bytes(p, 2), b"b\nno newline at the end")
        Path(p).write_bytes(b"y" * 50 + b"\n" + b"z" * 10 + b"\n")
        self.assertEqual(agent.tail_bytes(p, 5, cap=30), b"z" * 10 + b"\n")  # the cut first line is dropped
        Path(p).write_bytes(b"")
        self.assertEqual(agent.tail_bytes(p, 5), b"")
        big = b"".join(b"%08d\n" % i for i in range(20000))  # 180 KB
        Path(p).write_bytes(big)
        out = agent.tail_bytes(p, 1000)
        self.assertEqual(len(out.split(b"\n")) - 1, 1000)
        self.assertTrue(out.endswith(b"00019999\n"))
        Path(p).write_bytes(b"x" * 200_000 + b"\n")
        self.assertEqual(agent.tail_bytes(p, 10), b"")  # one line longer than the cap: nothing whole to show
        self.assertRefused(lambda: agent.tail_bytes(self.path("none"), 5), agent.EXIT_NOT_FOUND, r"does not exist")
        os.symlink("/etc/passwd", self.path("lnk"))
        self.assertRefused(lambda: agent.tail_bytes(self.path("lnk"), 5), agent.EXIT_BAD_INPUT, r"cannot read")


class GreenEnv(Refusal):
    def test_accepts_strings_and_checks_the_agent_own_variables(self) -> None:
        env = agent.parse_green_env(json.dumps({"TELEGRAM_TOKEN": "a'b\"c$d\n", "HERMES_RELEASE": "r1"}).encode(), None)
        merged = agent.merge_agent_env(env, {"HERMES_RELEASE": "r1", "HERMES_HOME": "/h"})
        self.assertEqual(merged, {"TELEGRAM_TOKEN": "a'b\"c$d\n", "HERMES_RELEASE": "r1", "HERMES_HOME": "/h"})
        self.assertRefused(lambda: agent.merge_agent_env({"HERMES_RELEASE": "r2"}, {"HERMES_RELEASE": "r1"}),
                           agent.EXIT_BAD_INPUT, r'HERMES_RELEASE is set by the agent \("r1" here\)')
        self.assertRefused(lambda: agent.merge_agent_env({"HERMES_HANDOFF_SOCKET": "/tmp/s"}, {}),
                           agent.EXIT_BAD_INPUT, r"HERMES_HANDOFF_SOCKET is set by the agent")
        self.assertEqual(agent.parse_green_env(b"", None), {})

    def test_refuses(self) -> None:
        cases = [
            ({"LD_PRELOAD": "/tmp/x.so"}, None, r"LD_PRELOAD is not accepted \(it changes how programs load code"),
            ({"PATH": "/tmp"}, None, r"PATH is not accepted"), ({"PYTHONPATH": "/tmp"}, None, r"PYTHONPATH"),
            ({"BASH_ENV": "/tmp/x"}, None, r"BASH_ENV"), ({"NODE_OPTIONS": "--require x"}, None, r"NODE_OPTIONS"),
            ({"GLIBC_TUNABLES": "x"}, None, r"GLIBC_TUNABLES"), ({"SSH_AUTH_SOCK": "x"}, None, r"SSH_AUTH_SOCK"),
            ({"LD_PRELOAD": "x"}, ("LD_*",), r"LD_PRELOAD is not accepted"),
            ({"OTHER": "x"}, ("TELEGRAM_*",), r"OTHER is not accepted \(it is not in green.env_allow"),
            ({"bad-name": "x"}, None, r"is not a variable name"), ({"1A": "x"}, None, r"is not a variable name"),
            ({"A": 1}, None, r"A must be a string"), ({"A": None}, None, r"A must be a string"),
            ({"A": "x\x00y"}, None, r"without NUL"),
        ]
        for data, allow, pattern in cases:
            with self.subTest(data=data):
                self.assertRefused(lambda: agent.parse_green_env(json.dumps(data).encode(), allow), agent.EXIT_BAD_INPUT, pattern)
        self.assertEqual(agent.parse_green_env(b'{"TELEGRAM_X": "1"}', ("TELEGRAM_*",)), {"TELEGRAM_X": "1"})
        self.assertRefused(lambda: agent.parse_green_env(b"[1]", None), agent.EXIT_BAD_INPUT, r"JSON object of strings")
        self.assertRefused(lambda: agent.parse_green_env(b"{", None), agent.EXIT_BAD_INPUT, r"not valid JSON")
        self.assertRefused(lambda: agent.parse_green_env(b'{"A": NaN}', None), agent.EXIT_BAD_INPUT, r"not valid JSON")
        many = json.dumps({"V%d" % i: "x" for i in range(257)}).encode()
        self.assertRefused(lambda: agent.parse_green_env(many, None), agent.EXIT_BAD_INPUT, r"257 variables; at most 256")
        big = json.dumps({"A": "x" * agent.MAX_ENV_BYTES}).encode()
        self.assertRefused(lambda: agent.parse_green_env(big, None), agent.EXIT_BAD_INPUT, r"over 1048576 bytes")

    def test_the_env_file_reads_back_literally_in_sh(self) -> None:
        values = {"A": "plain", "B": "it's \"quoted\" $HOME `id` \\ ;|&", "C": "multi\nline\n", "D": "", "E": "'"}
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(agent.env_file_text(values))
        try:
            for k, v in values.items():
                out = subprocess.run(["sh", "-c", '. "$1"; eval "printf %s \\"\\${$2}\\""', "sh", f.name, k],
                                     capture_output=True, text=True).stdout
                self.assertEqual(out, v, k)
        finally:
            os.unlink(f.name)

    def test_unit_names_and_systemd_argv(self) -> None:
        self.assertEqual(agent.unit_name("hermes-green@", "id1"), "hermes-green@id1.service")
        self.assertEqual(agent.unit_name("hermes-green@.service", "id1"), "hermes-green@id1.service")
        self.assertEqual(agent.unit_name("green", "id1"), "green-id1.service")
        cfg = agent.parse_config(json.dumps({"hermes_home": "/h", "green": {"command": ["/bin/gw", "--flag"], "workdir": "/w",
                                                                              "launcher": "systemd"}}), "/c", "/home/u")
        argv = agent.systemd_run_argv(cfg, "id1", "/h/handoff-agent/env/green-id1.env")
        self.assertEqual(argv[:5], ["systemd-run", "--user", "--quiet", "--collect", "--unit=hermes-green@id1.service"])
        self.assertIn("StandardOutput=append:/h/logs/green-id1.log", argv)
        self.assertIn("--working-directory=/w", argv)
        self.assertEqual(argv[argv.index("--"):], ["--", "/bin/sh", "-c", '. "$1"; shift; exec "$@"', "hermes-green",
                                                   "/h/handoff-agent/env/green-id1.env", "/bin/gw", "--flag"])


class Processes(unittest.TestCase):
    def test_pid_runs(self) -> None:
        self.assertEqual(agent.pid_runs(os.getpid()), (True, "pid %d is running" % os.getpid()))
        child = subprocess.Popen(["true"])
        deadline = time.monotonic() + 10
        while agent.proc_stat(child.pid) is not None and agent.proc_stat(child.pid)[0] != "Z" and time.monotonic() < deadline:
            time.sleep(0.02)
        runs, why = agent.pid_runs(child.pid)
        self.assertFalse(runs)
        self.assertRegex(why, r"zombie")
        child.wait()
        self.assertEqual(agent.pid_runs(child.pid), (False, "pid %d is not running" % child.pid))


class Relay(unittest.TestCase):
    def test_copies_both_ways_and_ends_with_the_socket(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(1)
            got: List[bytes] = []

            def serve() -> None:
                conn, _ = srv.accept()
                buf = b""
                while not buf.endswith(b"END\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                got.append(buf)
                conn.sendall(b"R" * 300_000 + b"\n")
                conn.close()

            t = threading.Thread(target=serve)
            t.start()
            in_r, in_w = os.pipe()
            out_r, out_w = os.pipe()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            relay = threading.Thread(target=agent.relay, args=(sock, in_r, out_w))
            relay.start()
            os.write(in_w, b"Q" * 200_000 + b"END\n")
            out = b""
            while len(out) < 300_001:
                out += os.read(out_r, 65536)
            relay.join(10)
            self.assertFalse(relay.is_alive())
            t.join(10)
            srv.close()
            self.assertEqual(got[0], b"Q" * 200_000 + b"END\n")
            self.assertEqual(out, b"R" * 300_000 + b"\n")
            for fd in (in_r, in_w, out_r, out_w):
                os.close(fd)

    def test_ends_soon_after_stdin_ends(self) -> None:
        a, b = socket.socketpair()
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        os.close(in_w)
        started = time.monotonic()
        agent.relay(a, in_r, out_w, linger=0.2)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(b.recv(10), b"")  # the socket's write side was shut
        for fd in (in_r, out_r, out_w):
            os.close(fd)
        b.close()


class Entry(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.home = self.tmp.name
        self.cfg = os.path.join(self.home, "agent.json")
        Path(self.cfg).write_text(json.dumps({"hermes_home": self.home, "green": {"command": ["true"]}}))
        os.chmod(self.cfg, 0o644)
        os.makedirs(os.path.join(self.home, "run", "handoffs"))

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_forced_command_words_come_from_ssh_original_command_only(self) -> None:
        code, out, err = run_agent(["--config", self.cfg], original="hermes-handoff-agent hello")
        self.assertEqual(code, 0, err)
        hello = json.loads(out)
        self.assertEqual((hello["mode"], hello["forced"], hello["hermes_home"], hello["config_error"]), ("full", True, self.home, None))
        code, out, err = run_agent(["--config", self.cfg], original="--config /tmp/evil.json hello")
        self.assertEqual(code, 64)
        self.assertEqual(err.count("\n"), 1)
        self.assertRegex(err, r'^hermes-handoff-agent: refused: unknown operation "--config"')
        code, out, err = run_agent(["--config", self.cfg, "--read-only"], original="hello")
        self.assertEqual(json.loads(out)["mode"], "read-only")
        self.assertEqual(json.loads(out)["ops"], ["hello", "preflight", "status", "verdict", "verdicts"])
        code, _, err = run_agent(["--config", self.cfg])
        self.assertEqual(code, 64)
        self.assertRegex(err, r"no operation given \(an interactive session")

    def test_hello_reports_a_config_error_and_other_operations_fail_with_78(self) -> None:
        os.chmod(self.cfg, 0o666)
        code, out, _ = run_agent(["--config", self.cfg, "hello"])
        self.assertEqual(code, 0)
        self.assertRegex(json.loads(out)["config_error"], r"writable by group or others")
        code, _, err = run_agent(["--config", self.cfg, "verdicts"])
        self.assertEqual(code, 78)
        self.assertRegex(err, r"config error: .*writable by group or others")

    def test_verdict_and_verdicts(self) -> None:
        d = os.path.join(self.home, "run", "handoffs")
        for i, (hid, verdict) in enumerate([("h1", "failed"), ("h2", "promoted"), ("h3", "rolled-back")]):
            p = os.path.join(d, hid + ".json")
            Path(p).write_text(json.dumps({"v": 1, "handoff_id": hid, "verdict": verdict, "reason": "r\n::set-output x",
                                           "release": "rel", "health": [1, 2, 3]}, indent=2))
            os.utime(p, (1000 + i, 1000 + i))
        Path(os.path.join(d, "bad.json")).write_text("{")
        os.utime(os.path.join(d, "bad.json"), (999, 999))
        os.symlink("/etc/passwd", os.path.join(d, "evil.json"))
        Path(os.path.join(d, "not-a-verdict.txt")).write_text("x")
        code, out, err = run_agent(["--config", self.cfg, "verdict", "h2"])
        self.assertEqual(code, 0, err)
        self.assertEqual(out.count("\n"), 1)
        self.assertEqual(json.loads(out)["verdict"], "promoted")
        self.assertIn("\\n::set-output", out)  # newlines in host text stay escaped inside the one line
        code, _, err = run_agent(["--config", self.cfg, "verdict", "nope"])
        self.assertEqual(code, 3)
        self.assertRegex(err, r"no verdict for handoff nope")
        code, _, err = run_agent(["--config", self.cfg, "verdict", "evil"])
        self.assertEqual(code, 65)
        self.assertRegex(err, r"symbolic link")
        code, out, err = run_agent(["--config", self.cfg, "verdicts"])
        self.assertEqual(code, 0, err)
        lines = [json.loads(x) for x in out.splitlines()]
        self.assertEqual([x["handoff_id"] for x in lines], ["h3", "h2", "h1", "bad"])
        self.assertNotIn("health", lines[0])
        self.assertRegex(lines[3]["error"], r"not valid JSON")
        code, out, _ = run_agent(["--config", self.cfg, "verdicts", "2"])
        self.assertEqual(len(out.splitlines()), 2)
        Path(os.path.join(d, "h9.json")).write_text(json.dumps({"handoff_id": "other"}))
        code, _, err = run_agent(["--config", self.cfg, "verdict", "h9"])
        self.assertEqual(code, 65)
        self.assertRegex(err, r"not the verdict record of handoff h9")

    def test_operations_without_a_gateway_fail_clearly(self) -> None:
        code, _, err = run_agent(["--config", self.cfg, "token"])
        self.assertEqual(code, 69)
        self.assertRegex(err, r"the token file .*handoff.token does not exist")
        tok = os.path.join(self.home, "run", "handoff.token")
        Path(tok).write_text("ab" * 32)
        code, _, err = run_agent(["--config", self.cfg, "status"])
        self.assertEqual(code, 69)
        self.assertRegex(err, r"nothing accepts connections on .*handoff.sock .*is the gateway \(blue\) running")
        code, _, err = run_agent(["--config", self.cfg, "socket"])
        self.assertEqual(code, 69)
        self.assertRegex(err, r"hermes-relay: cannot connect to")
        code, _, err = run_agent(["--config", self.cfg, "stop-green", "nope"])
        self.assertEqual(code, 3)
        self.assertRegex(err, r"the agent launched no green for handoff nope")
        code, out, _ = run_agent(["--config", self.cfg, "preflight"])
        self.assertEqual(code, 1)
        checks = {c["name"]: c for c in json.loads(out)["checks"]}
        self.assertTrue(checks["token readable"]["ok"])
        self.assertFalse(checks["socket answers"]["ok"])
        self.assertTrue(checks["green command resolves"]["ok"], checks["green command resolves"])


if __name__ == "__main__":
    unittest.main()
