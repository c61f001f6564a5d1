"""The reference gateway's transcript store: the same file and format as examples/gateway/store.ts, so a Node
gateway and a Python one share it across a handoff.

An fsync'd, append-only NDJSON log at HERMES_HOME/store/transcript.log whose first line is {"schema":1};
then, keyed by the adapter's name (`platform`):
  {"platform","update_id","pid","text","at"}                              a Telegram answer
  {"platform","message_id","session_id","seq","pid","text","at"}          a Discord answer (message_id: a snowflake
                                                                          string, since snowflakes exceed 2^53)
  {"platform","session":{"session_id","seq","resume_gateway_url"},"at"}   a Discord session the adapter holds
The dedupe key is (platform, message id). Green writes only these records before the promotion is final,
each in a single write on an O_APPEND descriptor, so lines of two processes never interleave; a line it does
not know is skipped and counted; a schema it does not know makes a process refuse the store rather than
misread it.
"""

from __future__ import annotations

import json
import os
import time
from typing import TypedDict

from hermes_handoff.text import slice_units

#: A message's id on its platform: Telegram's update_id (a number), Discord's message id (a snowflake string).
MessageId = int | str

STORE_SCHEMA = 1
_MAX_TEXT = 4096
_CHUNK = 4 << 20


class Session(TypedDict):
    """A Discord session as the store last saw it: where to RESUME it from (`seq`: the largest processed)."""

    session_id: str
    seq: int
    resume_gateway_url: str


class StoreError(Exception):
    """The store cannot be used (unknown schema, no header, closed)."""


class TranscriptStore:
    """The shared transcript log, read incrementally: records appended by the other process are seen on reload()."""

    def __init__(self, home: str) -> None:
        directory = os.path.join(home, "store")
        self.path = os.path.join(directory, "transcript.log")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        _create_with_header(directory, self.path)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        self._answered: dict[str, set[MessageId]] = {}
        self._max: dict[str, int] = {}
        self._sessions: dict[str, Session] = {}
        self._pos = 0
        self._corrupt = 0
        self._saw_header = False
        self._opened = False
        self._skipping = False
        self._released = False
        try:
            self.reload()
            if not self._saw_header and self._pos > 0:
                raise StoreError(f"transcript store {self.path} has no {{\"schema\":N}} header line; refusing to use it")
        except BaseException:
            os.close(self._fd)
            self._fd = None
            raise
        self._opened = True

    def has(self, platform: str, message_id: MessageId) -> bool:
        """True when the message was answered, by this process or (after re-reading the tail) by the other."""
        if message_id in self._answered.get(platform, ()):
            return True
        self.reload()
        return message_id in self._answered.get(platform, ())

    def record(self, platform: str, message_id: MessageId, pid: int, text: str, dispatch: tuple[str, int] | None = None) -> None:
        """Appends one answer record in a single write (a Discord one names the (session_id, seq) that carried it); durable after flush()."""
        record: dict[str, object] = {"platform": platform}
        if isinstance(message_id, int):
            record["update_id"] = message_id
        else:
            if dispatch is None:
                raise StoreError(f"the answer to message {message_id} of {platform} needs the dispatch (session_id, seq) that carried it")
            record.update(message_id=message_id, session_id=dispatch[0], seq=dispatch[1])
        record.update(pid=pid, text=slice_units(text, _MAX_TEXT), at=time.time_ns() // 1_000_000)
        self._append(record)
        self._remember(platform, message_id, dispatch)

    def record_session(self, platform: str, session: Session) -> None:
        """Appends the Discord session adapter `platform` now holds (after READY or RESUMED); durable after flush()."""
        self._append({"platform": platform, "session": dict(session), "at": time.time_ns() // 1_000_000})
        self._remember_session(platform, session)

    def session_of(self, platform: str) -> Session | None:
        """The latest session recorded for `platform`, its seq raised to the largest answer recorded in it since; None when none."""
        self.reload()
        s = self._sessions.get(platform)
        return None if s is None else Session(session_id=s["session_id"], seq=s["seq"], resume_gateway_url=s["resume_gateway_url"])

    def _append(self, record: dict[str, object]) -> None:
        fd = self._use()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        data = (("\n" if self._torn(fd) else "") + line + "\n").encode("utf-8", "backslashreplace")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def flush(self) -> None:
        """fsyncs the log."""
        os.fsync(self._use())

    def reload(self) -> int:
        """Reads the complete lines appended since the last read by any process; returns how many records it added."""
        fd = self._use()
        added = 0
        while True:
            size = os.fstat(fd).st_size
            if size <= self._pos:
                return added
            buf = os.pread(fd, min(_CHUNK, size - self._pos), self._pos)
            if not buf:
                return added
            # Only complete lines are read; a tail without its newline (a writer killed mid-write) waits.
            last = buf.rfind(b"\n")
            if last < 0:
                if len(buf) < _CHUNK:
                    return added
                self._skipping = True  # a line longer than a chunk is not ours: skip to its end
                self._pos += len(buf)
                continue
            for line in buf[:last].split(b"\n"):
                if self._skipping:
                    self._corrupt += 1
                    self._skipping = False
                else:
                    added += self._take(line)
            self._pos += last + 1

    def next_offset(self, platform: str) -> int | None:
        """Highest recorded numeric (Telegram) id of `platform` plus one, or None when none is recorded."""
        self._use()
        m = self._max.get(platform)
        return None if m is None else m + 1

    def corrupt_lines(self) -> int:
        """Complete lines that could not be parsed and were skipped."""
        return self._corrupt

    def release(self) -> None:
        """Closes the log and drops its index (a standby keeps neither); the next use opens it again, reading it whole."""
        self.close()
        self._answered, self._max, self._sessions = {}, {}, {}
        self._pos, self._corrupt, self._saw_header, self._skipping = 0, 0, False, False
        self._released = True

    def close(self) -> None:
        """Closes the log."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self._released = False

    def _use(self) -> int:
        if self._fd is None and self._released:
            self._released = False
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            self.reload()
        if self._fd is None:
            raise StoreError(f"transcript store {self.path} is closed")
        return self._fd

    def _remember(self, platform: str, message_id: MessageId, dispatch: tuple[str, int] | None = None) -> bool:
        if dispatch is not None:
            s = self._sessions.get(platform)
            if s is not None and s["session_id"] == dispatch[0] and dispatch[1] > s["seq"]:
                s["seq"] = dispatch[1]
        seen = self._answered.setdefault(platform, set())
        if message_id in seen:
            return False
        seen.add(message_id)
        if isinstance(message_id, int):
            self._max[platform] = max(self._max.get(platform, message_id), message_id)
        return True

    def _remember_session(self, platform: str, session: Session) -> None:
        known = self._sessions.get(platform)
        # The same session seen again (resumed elsewhere) never moves back.
        seq = max(known["seq"], session["seq"]) if known is not None and known["session_id"] == session["session_id"] else session["seq"]
        self._sessions[platform] = Session(session_id=session["session_id"], seq=seq, resume_gateway_url=session["resume_gateway_url"])

    def _take(self, line: bytes) -> int:
        if not line:
            return 0
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._corrupt += 1
            return 0
        schema = value.get("schema") if isinstance(value, dict) else None
        if isinstance(schema, (int, float)) and not isinstance(schema, bool) and float(schema).is_integer():
            if schema != STORE_SCHEMA:
                if self._opened or self._saw_header:
                    self._corrupt += 1
                    return 0
                raise StoreError(f"transcript store {self.path} has schema {schema}; this gateway reads schema {STORE_SCHEMA} only")
            self._saw_header = True
            return 0
        if not isinstance(value, dict) or not _name(value.get("platform")) or not _int(value.get("at")):
            self._corrupt += 1
            return 0
        platform = value["platform"]
        answer = _int(value.get("pid")) and isinstance(value.get("text"), str)
        if answer and _int(value.get("update_id")):
            return 1 if self._remember(platform, value["update_id"]) else 0
        if answer and _text(value.get("message_id"), 64) and _text(value.get("session_id"), 128) and _int(value.get("seq")) and value["seq"] >= 0:
            return 1 if self._remember(platform, value["message_id"], (value["session_id"], value["seq"])) else 0
        ses = value.get("session")
        if isinstance(ses, dict) and _text(ses.get("session_id"), 128) and _int(ses.get("seq")) and ses["seq"] >= 0 and _text(ses.get("resume_gateway_url"), 512):
            self._remember_session(platform, Session(session_id=ses["session_id"], seq=ses["seq"], resume_gateway_url=ses["resume_gateway_url"]))
            return 0
        self._corrupt += 1
        return 0

    @staticmethod
    def _torn(fd: int) -> bool:
        # A log not ending in a newline was torn by a killed writer: the next line must start fresh.
        size = os.fstat(fd).st_size
        return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _text(x: object, max_len: int) -> bool:
    return isinstance(x, str) and 1 <= len(x) <= max_len


def _name(x: object) -> bool:
    return _text(x, 64)


def _create_with_header(directory: str, path: str) -> None:
    # Exclusive create, so only one process writes the header; then make the new name durable.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.write(fd, json.dumps({"schema": STORE_SCHEMA}, separators=(",", ":")).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
