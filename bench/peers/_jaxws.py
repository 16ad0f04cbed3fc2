"""The JAX-WS RI peer (``bench/peers/jaxws/*.java``): compiled with javac once per state of its sources,
never committed built.

The classes live in ``build/bench/`` in a folder named by a hash of what they are made from (the
sources, the libraries compiled against, the JDK's version), so a run always gets those of the current
sources, and compiles them itself when missing; ``make toolchains`` compiles them ahead
(``python -m bench.peers``), so that the suite's run does not spend javac's seconds.

Debian's packages provide everything: ``jaxws`` and ``libjaxws-java`` (the JAX-WS RI 2.3 runtime,
whose jar names the rest of its class path in its manifest), ``libxerial-sqlite-jdbc-java`` (SQLite
over JDBC) and a JDK 17 (``javac``, ``java``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._processes import REPO

__all__ = ["JaxwsPeer", "missing_toolchain"]

SOURCES = Path(__file__).resolve().parent / "jaxws"
JAVA_LIBRARIES = Path("/usr/share/java")
#: Where the compiled classes are kept, one folder per state of what they are made from.
BUILDS = REPO / "build" / "bench"
#: jar → the Debian package that installs it
JARS = {"jaxws-rt.jar": "libjaxws-java", "sqlite-jdbc.jar": "libxerial-sqlite-jdbc-java"}
COMMANDS = {"javac": "a JDK 17, e.g. Debian openjdk-17-jdk-headless", "java": "a JDK 17"}
MAIN_CLASS = "esav.peer.PeerServer"
#: The JDK server's pool; it must hold at least one thread per concurrent connection (see PeerServer).
DEFAULT_THREADS = 32
JVM_OPTIONS = (
    # The JDK server leaves Nagle's algorithm on by default: a small answer written in two
    # segments would wait for the client's delayed ACK (tens of ms). Any deployment turns it off.
    "-Dsun.net.httpserver.nodelay=true",
    # The RI's JMX monitoring needs a library Debian does not ship; it only logs a stack trace.
    "-Dcom.sun.xml.ws.monitoring.endpoint=false",
)


def missing_toolchain() -> list[str]:
    """What the JAX-WS peer needs and this machine lacks, each with what provides it (empty: all there)."""
    missing = [f"`{command}` ({source})" for command, source in COMMANDS.items() if shutil.which(command) is None]
    missing += [
        f"{JAVA_LIBRARIES / jar} (Debian {package})"
        for jar, package in JARS.items()
        if not (JAVA_LIBRARIES / jar).exists()
    ]
    return missing


@dataclass(frozen=True)
class JaxwsPeer:
    """The peer compiled into ``classes``, ready to start on a port."""

    classes: Path
    java_version: str

    name = "jaxws"
    description = "JAX-WS RI 2.3 on the JDK HttpsServer, JAXB, javax.xml.validation, SQLite JDBC"

    @staticmethod
    def missing() -> list[str]:
        """What this machine lacks to build and run the peer, each with what provides it (empty: nothing)."""
        return missing_toolchain()

    @classmethod
    def build(cls) -> JaxwsPeer:
        """The compiled peer (compiled now when its sources changed, kept between runs); raise
        RuntimeError naming what is missing."""
        missing = cls.missing()
        if missing:
            raise RuntimeError("--peer jaxws needs " + ", ".join(missing))
        version = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
        sources = sorted(SOURCES.glob("*.java"))
        digest = hashlib.sha256(version.encode() + b"\0" + cls._libraries().encode())
        for jar in JARS:
            digest.update(b"%d\0" % (JAVA_LIBRARIES / jar).stat().st_size)
        for source in sources:
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
        classes = BUILDS / f"jaxws-{digest.hexdigest()[:20]}"
        if not classes.is_dir():
            cls._compile(sources, classes)
        return cls(classes, version.splitlines()[0] if version else "?")

    @classmethod
    def _compile(cls, sources: list[Path], target: Path) -> None:
        """javac ``sources`` into ``target``, whole or not at all (another process may be compiling too)."""
        BUILDS.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".jaxws-", dir=BUILDS))
        try:
            argv = ["javac", "-nowarn", "-encoding", "UTF-8", "-cp", cls._libraries(), "-d", str(work)]
            compiled = subprocess.run(
                [*argv, *map(str, sources)],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if compiled.returncode != 0:
                raise RuntimeError(f"javac failed on {SOURCES.relative_to(REPO)}:\n{compiled.stderr[-3000:]}")
            try:
                work.rename(target)
            except OSError:
                if not target.is_dir():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _libraries() -> str:
        return ":".join(str(JAVA_LIBRARIES / jar) for jar in JARS)

    def argv(self, pki: Path, database: Path, threads: int = DEFAULT_THREADS) -> list[str]:
        """The command that serves the peer; ``{port}`` is replaced by ``start_server``."""
        return [
            "java",
            *JVM_OPTIONS,
            "-cp",
            f"{self.classes}:{self._libraries()}",
            MAIN_CLASS,
            "--port",
            "{port}",
            "--pki",
            str(pki),
            "--forms",
            str(REPO / "catalogue" / "forms"),
            "--db",
            str(database),
            "--threads",
            str(threads),
        ]
