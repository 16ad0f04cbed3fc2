"""The ``esav`` command: the provider's tools (serve, PKI, operators, prestations, SAV back office)."""

from ._main import cli, main, run

__all__ = ["cli", "main", "run"]
