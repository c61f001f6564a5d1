"""The Python reference gateway: `python3 python/examples/gateway.py --home DIR --platform URL [--init-ms N] [--fault F] [--poll-timeout S]`.

Blue when started plainly, green when HERMES_HANDOFF_ID is set; the same flags, faults and store as
`node dist/cli.js example-gateway` (docs/gateway.md).
"""

from __future__ import annotations

import asyncio
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# Runs from the repository without installing: the examples folder and the package folder beside it.
for _p in (_HERE, os.path.dirname(_HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from refgw.app import run_gateway  # noqa: E402


def main() -> int:
    """Runs the gateway with this process's arguments and environment; returns its exit code."""
    return asyncio.run(run_gateway(sys.argv[1:], dict(os.environ)))


if __name__ == "__main__":
    sys.exit(main())
