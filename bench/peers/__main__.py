"""``python -m bench.peers``: compile the JAX-WS peer when its toolchain is installed (``make toolchains``)."""

from __future__ import annotations

import sys

from .._processes import REPO
from . import JaxwsPeer, missing_toolchain


def main() -> int:
    missing = missing_toolchain()
    if missing:
        print("bench peer: JAX-WS not compiled, missing " + ", ".join(missing), file=sys.stderr)
        return 0  # as the toolchains' installation: what is missing makes its tests skip
    print(f"bench peer: JAX-WS in {JaxwsPeer.build().classes.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
