"""The settings loader: every numeric setting has a range, checked at start-up, nan and inf refused
from the INI file, the ``ESAV_*`` environment and the command-line options alike."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, clean_env

from gateway.config import Settings, load_settings, numeric_ranges
from gateway.errors import ConfigError

RANGES = numeric_ranges()
INTEGERS = {f.name for f in dataclasses.fields(Settings) if f.name in RANGES and "int" in str(f.type)}


def allowed(key: str) -> str:
    """The range as start-up messages state it (``de 0.01 à 86400``)."""
    return " à ".join(str(v) if isinstance(v, int) else f"{v:g}" for v in RANGES[key]).join(("de ", ""))


def hostile_values() -> list[tuple[str, str]]:
    """(key, text) pairs every one of which start-up must refuse, for every numeric setting."""
    cases = []
    for key, (low, high) in RANGES.items():
        cases += [(key, "nan"), (key, "inf"), (key, "-inf"), (key, "NaN"), (key, "1e999")]
        cases.append((key, "-1") if low >= 0 else (key, repr(float(low) * 2)))
        if low > 0:
            cases.append((key, "0"))
        cases.append((key, str(int(high) + 1) if key in INTEGERS else repr(float(high) * 2)))
    return cases


def field_comment(key: str) -> str:
    """The ``#:`` comment above a field of Settings (fields sharing one comment share it)."""
    lines = (REPO / "gateway" / "config.py").read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"    {key}:"))
    comment: list[str] = []
    while index > 0:
        index -= 1
        if lines[index].startswith("    #:"):
            comment.insert(0, lines[index])
        elif comment:
            break
    return " ".join(comment)


def test_every_numeric_setting_has_a_documented_range():
    """Each int or float field of Settings declares a range, and its doc comment states it."""
    numeric = {f.name for f in dataclasses.fields(Settings) if "int" in str(f.type) or "float" in str(f.type)}
    assert numeric == set(RANGES)
    for key in RANGES:
        assert "range" in field_comment(key).lower(), key


@pytest.mark.parametrize(("key", "text"), hostile_values())
def test_environment_value_out_of_range_is_refused(key, text):
    """An ESAV_* value that is nan, infinite, negative, zero where invalid or too large names its key and range."""
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={f"ESAV_{key.upper()}": text})
    message = str(caught.value)
    assert key in message
    if "valeur invalide" not in message:  # int("nan") is refused by the converter itself, also naming the key
        assert allowed(key) in message, message


@pytest.mark.parametrize(("key", "text"), hostile_values())
def test_ini_value_out_of_range_is_refused(tmp_path: Path, key, text):
    """The same values in the INI file's [esav] section are refused with the key named."""
    config = tmp_path / "esav.ini"
    config.write_text(f"[esav]\n{key} = {text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=key):
        load_settings(config, environ={})


@pytest.mark.parametrize("key", sorted(RANGES))
def test_command_line_value_out_of_range_is_refused(key):
    """Values given as options (overrides) are range-checked too: nan, inf and one past the top."""
    low, high = RANGES[key]
    for value in (float("nan"), float("inf"), high * 2 + 1, low - 1):
        with pytest.raises(ConfigError, match=f"{key} : .*{allowed(key)}"):
            load_settings(environ={}, **{key: value})


@pytest.mark.parametrize("key", sorted(RANGES))
def test_range_bounds_are_accepted(key):
    """Both ends of each range are valid values."""
    low, high = RANGES[key]
    for value in (low, high):
        settings = load_settings(environ={}, **{key: value})
        assert getattr(settings, key) == value


def test_defaults_are_within_their_ranges():
    """The default settings pass their own checks."""
    assert load_settings(environ={}) == Settings()


@pytest.mark.e2e  # runs the esav command in a subprocess
def test_serve_refuses_nan_sweep_interval(tmp_path: Path):
    """`esav servir` with ESAV_SWEEP_INTERVAL_S=nan exits non-zero naming the key and its range, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "servir", "--demo", "--donnees", str(tmp_path / "d"), "--port", "0"],
        cwd=REPO, env={**clean_env(), "ESAV_SWEEP_INTERVAL_S": "nan"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "sweep_interval_s" in result.stderr and "n'est pas un nombre fini" in result.stderr
    assert "de 0.01 à 86400" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d" / "esav.db").exists()  # refused before touching any data
