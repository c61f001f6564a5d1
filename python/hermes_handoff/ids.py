"""Handoff ids: they become file names and shell words, so they are validated wherever they are used."""

from __future__ import annotations

import re

from . import schema as s

_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
ID_RULE = "a handoff id is 1-64 characters of A-Z a-z 0-9 . _ -"


def id_problem(value: object) -> str | None:
    """Why `value` is not a valid handoff id, or None when it is one."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return ID_RULE
    if value in (".", ".."):
        return 'a handoff id cannot be "." or ".."'
    return None


def parse_handoff_id(value: object) -> str:
    """Returns `value` when it is a valid handoff id, else raises ValueError naming its problem."""
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(f"invalid handoff id {value!r}: {problem}")
    assert isinstance(value, str)
    return value


def handoff_id() -> s.Schema:
    """The schema of a HandoffId field."""

    def check(value: object, path: s.Path) -> object:
        if not isinstance(value, str):
            raise s.Invalid(path, "expected a string")
        problem = id_problem(value)
        if problem is not None:
            raise s.Invalid(path, problem)
        return value

    return check
