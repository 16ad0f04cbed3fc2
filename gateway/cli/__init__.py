"""The ``esav`` command: the provider's tools (serve, PKI, operators, prestations, SAV back office)."""

from ._language import install_french_messages

install_french_messages()  # before the commands are built: click's help texts are read then

from ._main import cli, main, run  # noqa: E402

__all__ = ["cli", "main", "run"]
