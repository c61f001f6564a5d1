"""Cursors: where each adapter stands on its platform, typed per platform (round-2 decision, issue 12)."""

from __future__ import annotations

import json
import re
from typing import Literal, TypedDict, Union

from . import schema as s
from .text import MAX_SAFE_INTEGER, js_quote, slice_units


class TelegramCursor(TypedDict):
    """The next getUpdates offset: everything below it is answered and recorded."""

    kind: Literal["telegram"]
    offset: int


class DiscordCursor(TypedDict):
    """A resumable gateway session; `seq` is the last dispatch processed (answered and recorded), not the last received."""

    kind: Literal["discord"]
    session_id: str
    seq: int
    resume_gateway_url: str


Cursor = Union[TelegramCursor, DiscordCursor]
#: Cursors by adapter name; an absent adapter means "start from your store's own position".
Cursors = dict[str, Cursor]

ADAPTER_NAME = r"[a-z0-9_-]{1,64}"
ADAPTER_NAME_RULE = "an adapter name is 1-64 characters of a-z 0-9 _ -"
ADAPTER_KINDS = ("telegram", "discord")
_KNOWN = " or ".join(ADAPTER_KINDS)
#: The most adapters one Cursors map may name.
MAX_ADAPTERS = 64
# A host, then an optional path or query: the same rule as the Node peer's.
_WS_URL = re.compile(r"wss?://[^\s/?#]+([/?#]\S*)?")


def _ws_url(value: object, path: s.Path) -> object:
    url = s.string(0, 512)(value, path)
    assert isinstance(url, str)
    if not _WS_URL.fullmatch(url):
        raise s.Invalid(path, "a ws:// or wss:// URL of at most 512 characters")
    return url


_VARIANTS: dict[str, s.Schema] = {
    "telegram": s.obj({"kind": s.one_of("telegram"), "offset": s.integer(0, MAX_SAFE_INTEGER)}),
    "discord": s.obj(
        {
            "kind": s.one_of("discord"),
            "session_id": s.string(1, 128),
            "seq": s.integer(0),
            "resume_gateway_url": _ws_url,
        }
    ),
}


def cursor_schema(value: object, path: s.Path) -> object:
    """One adapter's cursor, by its `kind`; an unknown kind names the kinds known."""
    if not isinstance(value, dict):
        raise s.Invalid(path, f'an adapter cursor is an object with a "kind": {_KNOWN}')
    if "kind" not in value:
        raise s.Invalid(path + ("kind",), f'an adapter cursor needs a "kind": {_KNOWN}')
    kind = value["kind"]
    variant = _VARIANTS.get(kind) if isinstance(kind, str) else None
    if variant is None:
        shown = js_quote(kind) if isinstance(kind, str) else json.dumps(kind)
        raise s.Invalid(path + ("kind",), f"unknown adapter kind {slice_units(shown, 66)}; expected {_KNOWN}")
    return variant(value, path)


_by_name = s.record(ADAPTER_NAME, ADAPTER_NAME_RULE, cursor_schema)


def cursors_schema(value: object, path: s.Path) -> object:
    """The schema of a Cursors field: at most 64 adapters, each named by the adapter-name rule."""
    out = _by_name(value, path)
    assert isinstance(out, dict)
    if len(out) > MAX_ADAPTERS:
        raise s.Invalid(path, f"at most {MAX_ADAPTERS} adapters")
    return out


def telegram(offset: int) -> TelegramCursor:
    """A Telegram cursor at `offset`."""
    return {"kind": "telegram", "offset": offset}


def discord(session_id: str, seq: int, resume_gateway_url: str) -> DiscordCursor:
    """A Discord cursor for resuming `session_id` after dispatch `seq`."""
    return {"kind": "discord", "session_id": session_id, "seq": seq, "resume_gateway_url": resume_gateway_url}
