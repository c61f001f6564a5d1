"""NDJSON framing: one JSON object per line, at most 64 KiB, decoded in the order of docs/protocol.md section 3.2."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Union, cast

from . import schema as s
from .frames import FRAME_SCHEMAS, PROTOCOL_VERSION, ErrorCode, Frame
from .text import MAX_SAFE_INTEGER, clip, js_quote, slice_units

#: The longest line, newline excluded, that either side accepts.
MAX_LINE_BYTES = 64 * 1024
#: Longest message a decode error carries: it must fit an ERROR frame whatever the input was.
_MAX_MESSAGE = 1024


@dataclass(frozen=True)
class DecodeError:
    """A line that is not a valid frame: the ERROR code, its message, the offending type if known, and whether to close."""

    code: ErrorCode
    message: str
    fatal: bool
    frame: str | None = None


Decoded = Union[Frame, DecodeError]


def encode_frame(frame: Mapping[str, object]) -> bytes:
    """One frame as one NDJSON line (`v` filled in when absent); raises ValueError past the line limit."""
    body = dict(frame)
    body.setdefault("v", PROTOCOL_VERSION)
    # A lone surrogate (JSON allows "\ud800") is written back as its escape, so the line stays valid UTF-8.
    line = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "backslashreplace")
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(f"{body.get('type')} frame is larger than {MAX_LINE_BYTES} bytes")
    return line + b"\n"


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    # A literal that is not a finite double (1e400, 400 digits) makes the line invalid, in any field (section 4).
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"{text[:20]} is not a finite number")
    return x


def _int(digits: str) -> object:
    # Past 2^53 JavaScript keeps only an approximation: so do we, and the field checks refuse it.
    x = _finite(digits)
    return int(digits) if len(digits) <= 17 else x


def _is_protocol_int(x: object, lo: int) -> bool:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    if isinstance(x, float) and not x.is_integer():
        return False
    return lo <= x <= MAX_SAFE_INTEGER


def decode_line(line: bytes) -> Decoded:
    """Decodes one line (without its newline) into a validated frame, or the error to answer it with."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return DecodeError("bad_frame", "line is not valid UTF-8", True)
    if text.startswith("\ufeff"):
        text = text[1:]  # a leading byte order mark is dropped, as JavaScript's TextDecoder does
    try:
        value = json.loads(text, parse_constant=_no_constants, parse_int=_int, parse_float=_finite)
    except (ValueError, RecursionError):
        return DecodeError("bad_frame", "line is not valid JSON", True)
    if not isinstance(value, dict):
        return DecodeError("bad_frame", "a frame must be a JSON object", True)
    type_ = value.get("type")
    if not isinstance(type_, str):
        return DecodeError("bad_frame", 'a frame needs a string "type"', True)
    short = slice_units(type_, 64)
    if not _is_protocol_int(value.get("v"), 1):
        return DecodeError("bad_frame", f'{short}: "v" must be an integer >= 1', True, short)
    schema = FRAME_SCHEMAS.get(type_)
    if schema is None:
        # A newer peer may send types we do not know: say so, keep the connection.
        return DecodeError("unknown_type", f"unknown frame type {js_quote(short)}", False, short)
    try:
        frame = schema(value, ())
    except s.Invalid as e:
        message = clip(f"{type_}: {clip(e.where(), 200)}: {e.message}", _MAX_MESSAGE)
        return DecodeError("bad_frame", message, True, type_)
    return cast(Frame, frame)


class FrameDecoder:
    """Splits a byte stream into frames; pure. After a fatal result it decodes nothing more."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._dead = False

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held so far."""
        return self._size

    def push(self, chunk: bytes) -> list[Decoded]:
        """Decodes every complete line in `chunk` plus what was buffered before it."""
        out: list[Decoded] = []
        if self._dead:
            return out
        buf = memoryview(chunk)
        while True:
            nl = chunk.find(b"\n", len(chunk) - len(buf))
            if nl < 0:
                # Refuse before keeping anything, so memory stays bounded by one line. One byte over the
                # limit can still end well only if it is the CR of a CRLF.
                size = self._size + len(buf)
                if size > MAX_LINE_BYTES + 1 or (size == MAX_LINE_BYTES + 1 and len(buf) > 0 and buf[-1] != 0x0D):
                    return self._fail(out)
                if len(buf) > 0:
                    self._parts.append(bytes(buf))
                self._size = size
                return out
            start = len(chunk) - len(buf)
            line_len = self._size + (nl - start)
            if line_len > MAX_LINE_BYTES + 1:
                return self._fail(out)
            line = b"".join(self._parts) + bytes(buf[: nl - start])
            self._parts = []
            self._size = 0
            buf = buf[nl - start + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > MAX_LINE_BYTES:
                return self._fail(out)
            if not line:
                continue
            d = decode_line(line)
            out.append(d)
            if isinstance(d, DecodeError) and d.fatal:
                self._dead = True
                return out

    def _fail(self, out: list[Decoded]) -> list[Decoded]:
        self._dead = True
        self._parts = []
        self._size = 0
        out.append(DecodeError("too_large", f"line longer than {MAX_LINE_BYTES} bytes", True))
        return out
