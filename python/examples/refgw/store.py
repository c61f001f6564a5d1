"""The reference gateway's transcript store: the same file and format as examples/gateway/store.ts, so a Node
gateway and a Python one share it across a handoff.

An fsync'd, append-only NDJSON log at HERMES_HOME/store/transcript.log whose first line is {"schema":1};
then one answer record per answered message: {"platform","update_id","pid","text","at"}. The dedupe key is
(platform, update_id). Green writes only answer records before the promotion is final, each in a single
write on an O_APPEND descriptor, so lines of two processes never interleave; a schema it does not know
makes a process refuse the store rather than misread it.
"""

from __future__ import annotations

import json
import os
import time

from hermes_handoff.text import slice_units

STORE_SCHEMA = 1
_MAX_TEXT = 4096
_CHUNK = 4 << 20


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
        self._answered: dict[str, set[int]] = {}
        self._max: dict[str, int] = {}
        self._pos = 0
        self._corrupt = 0
        self._saw_header = False
        self._opened = False
        self._skipping = False
        try:
            self.reload()
            if not self._saw_header and self._pos > 0:
                raise StoreError(f"transcript store {self.path} has no {{\"schema\":N}} header line; refusing to use it")
        except BaseException:
            os.close(self._fd)
            self._fd = None
            raise
        self._opened = True

    def has(self, platform: str, update_id: int) -> bool:
        """True when the update was answered, by this process or (after re-reading the tail) by the other."""
        if update_id in self._answered.get(platform, ()):
            return True
        self.reload()
        return update_id in self._answered.get(platform, ())

    def record(self, platform: str, update_id: int, pid: int, text: str) -> None:
        """Appends one answer record in a single write; durable after flush()."""
        fd = self._use()
        line = json.dumps(
            {"platform": platform, "update_id": update_id, "pid": pid, "text": slice_units(text, _MAX_TEXT), "at": time.time_ns() // 1_000_000},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        data = (("\n" if self._torn(fd) else "") + line + "\n").encode("utf-8", "backslashreplace")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        self._remember(platform, update_id)

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
        """Highest recorded update id of `platform` plus one, or None when none is recorded."""
        m = self._max.get(platform)
        return None if m is None else m + 1

    def corrupt_lines(self) -> int:
        """Complete lines that could not be parsed and were skipped."""
        return self._corrupt

    def close(self) -> None:
        """Closes the log."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None

    def _use(self) -> int:
        if self._fd is None:
            raise StoreError(f"transcript store {self.path} is closed")
        return self._fd

    def _remember(self, platform: str, update_id: int) -> bool:
        seen = self._answered.setdefault(platform, set())
        if update_id in seen:
            return False
        seen.add(update_id)
        self._max[platform] = max(self._max.get(platform, update_id), update_id)
        return True

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
        if (
            isinstance(value, dict)
            and isinstance(value.get("platform"), str)
            and 1 <= len(value["platform"]) <= 64
            and isinstance(value.get("update_id"), int)
            and not isinstance(value.get("update_id"), bool)
            and isinstance(value.get("pid"), int)
            and isinstance(value.get("text"), str)
            and isinstance(value.get("at"), int)
        ):
            return 1 if self._remember(value["platform"], value["update_id"]) else 0
        self._corrupt += 1
        return 0

    @staticmethod
    def _torn(fd: int) -> bool:
        # A log not ending in a newline was torn by a killed writer: the next line must start fresh.
        size = os.fstat(fd).st_size
        return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


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
