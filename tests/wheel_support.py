"""The wheel of the current sources, installed in a virtual environment outside the checkout, built once.

Building the wheel and installing it with its dependencies takes tens of seconds: ``make wheel`` (a
prerequisite of ``make test``) builds it before the tests, and ``tests/test_wheel.py`` uses it. The build
is kept in a folder of the temporary directory named by a hash of every source and data file (all the
checkout but outputs, caches and the test suite), so a test always gets the wheel of the sources as they
are: any edit makes a new hash, and a new build.

Run as a script (``python tests/wheel_support.py``) it builds the wheel if it is missing and prints its folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: What is not part of a build (local environments, outputs, caches).
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    "node_modules", "artifacts",
)  # fmt: skip


def not_sources(root: Path) -> Callable[[str, list[str]], set[str]]:
    """What a copy of ``root`` for a build leaves out (the ``ignore`` of ``shutil.copytree``): outputs
    and caches, and the test suite, which no package holds (editing a test does not make a new wheel)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(_NOT_SOURCES(folder, names))
        if Path(folder) == root:
            ignored.add("tests")
        return ignored

    return ignore


#: Builds of other sources older than this are removed when a new one is made.
_KEEP_S = 24 * 3600
_PREFIX = "esav-wheel-"


def sources_digest(root: Path = REPO) -> str:
    """A hash of the files a build copies (paths, contents, symbolic links' targets) and of the Python."""
    digest = hashlib.sha256(sys.version.encode())
    ignore = not_sources(root)
    for folder, dirs, files in os.walk(root):
        ignored = ignore(folder, dirs + files)
        dirs[:] = sorted(d for d in dirs if d not in ignored)
        here = Path(folder)
        for name in sorted([*files, *(d for d in dirs if (here / d).is_symlink())]):
            if name in ignored:
                continue
            path = here / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(os.readlink(path).encode() if path.is_symlink() else path.read_bytes())
            digest.update(b"\0")
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return digest.hexdigest()[:20]


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def wheels_dir() -> Path:
    """Where the builds are kept: the temporary directory, the one ``make wheel`` used also when the test
    suite moved its own temporary files elsewhere (``TEST_DISK_TMPDIR``: tests/conftest.py)."""
    return Path(os.environ.get("TEST_DISK_TMPDIR") or tempfile.gettempdir())


def installed_wheel() -> tuple[Path, str]:
    """The bin folder of a virtual environment where the wheel of the current sources is installed, and
    the wheel build's output; built (under a lock, once for all processes) when missing."""
    home = wheels_dir() / f"{_PREFIX}{sources_digest()}"
    home.mkdir(exist_ok=True)
    os.utime(home)  # in use: not pruned
    with open(home / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "built").is_file():
            _build(home)
            _prune_others(home)
    return home / "venv" / "bin", (home / "build.log").read_text()


def _build(home: Path) -> None:
    for leftover in ("sources", "dist", "venv"):
        shutil.rmtree(home / leftover, ignore_errors=True)
    sources = home / "sources"
    shutil.copytree(REPO, sources, symlinks=True, ignore=not_sources(REPO))
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(home / "dist"), str(sources)])
    if built.returncode != 0:
        raise RuntimeError(f"pip wheel failed:\n{built.stdout}{built.stderr}")
    (home / "build.log").write_text(built.stdout + built.stderr)
    (wheel,) = (home / "dist").glob("esav_gateway-*.whl")
    venv = home / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)])
    if made.returncode != 0:
        raise RuntimeError(f"python -m venv failed:\n{made.stderr}")
    install = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], timeout=900)
    if install.returncode != 0:
        raise RuntimeError(f"pip install of the wheel failed:\n{install.stdout}{install.stderr}")
    shutil.rmtree(sources)
    (home / "built").touch()


def _prune_others(keep: Path) -> None:
    """Remove the builds of other sources that nobody used for a day."""
    for other in keep.parent.glob(f"{_PREFIX}*"):
        try:
            if other != keep and time.time() - other.stat().st_mtime > _KEEP_S:
                shutil.rmtree(other, ignore_errors=True)
        except OSError:
            continue


if __name__ == "__main__":
    started = time.monotonic()
    bin_dir, _ = installed_wheel()
    print(f"wheel: installed in {bin_dir.parent} ({time.monotonic() - started:.0f} s)")
