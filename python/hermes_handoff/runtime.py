"""select_runtime(): the HERMES_RUNTIME import switch (the plan's agent/runtime_selector.py)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from .text import utf16_len


class RuntimeChoiceError(ValueError):
    """HERMES_RUNTIME names no known runtime, or its module failed to import."""


@dataclass(frozen=True)
class SelectedRuntime:
    """The runtime HERMES_RUNTIME chose: its name (reported to blue and the verdict) and its imported module."""

    name: str
    module: ModuleType


def select_runtime(
    choices: Mapping[str, str],
    *,
    env: Mapping[str, str] | None = None,
    default: str = "legacy",
    importer: Callable[[str], ModuleType] = importlib.import_module,
) -> SelectedRuntime:
    """Imports `choices[HERMES_RUNTIME]` (`default` when unset or empty); an unknown runtime raises RuntimeChoiceError naming the choices."""
    e = os.environ if env is None else env
    name = e.get("HERMES_RUNTIME") or default
    known = ", ".join(sorted(choices))
    if not 1 <= utf16_len(name) <= 64 or name not in choices:
        raise RuntimeChoiceError(f"HERMES_RUNTIME={name!r} is not a runtime this gateway has; expected one of {known}")
    module_name = choices[name]
    try:
        module = importer(module_name)
    except ImportError as err:
        raise RuntimeChoiceError(f"HERMES_RUNTIME={name!r} selects module {module_name}, which failed to import: {err}") from err
    return SelectedRuntime(name, module)
