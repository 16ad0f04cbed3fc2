"""How ``esav`` prints: stored text made harmless to the terminal (a module of its own, light: ``esav``
imports it before knowing which command runs)."""

from __future__ import annotations

import json
import re
from typing import Any

import click

__all__ = ["echo", "echo_json", "printable"]

# C0 controls but tab and newline, DEL and C1 controls: what a terminal may act on (ESC starts a
# sequence that can move the cursor, rewrite the screen or the window title; U+009B is CSI alone).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Inside JSON, the controls json.dumps leaves raw (it escapes only those below U+0020).
_RAW_IN_JSON = re.compile("[\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character a terminal could act on shown as ``\\xNN`` (tab and
    newline kept): stored text (an operator's comment, a name) cannot drive the terminal."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def echo(message: Any = None, *, err: bool = False, nl: bool = True) -> None:
    """The one way ``esav`` prints: ``click.echo`` of the message made ``printable``."""
    click.echo(None if message is None else printable(str(message)), err=err, nl=nl)


def echo_json(data: Any) -> None:
    """``data`` as JSON, exactly: json escapes C0 controls itself; DEL and C1 are escaped as ``\\u00NN``."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    click.echo(_RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
