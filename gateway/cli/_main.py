"""The ``esav`` click group and ``main(argv)``."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ._admin import certs, operators, prestations
from ._bench import bench
from ._catalogue import catalogue
from ._catalogue_preview import announce_command, preview_command, remind_command
from ._cluster import grappe
from ._common import echo, printable
from ._db import db
from ._exploitation import audit, certs_expiring, maintenance, quota, stats
from ._integration import integration, operators_validate
from ._language import HELP_OPTION_NAMES, EsavGroup
from ._mail import certs_renew, mail
from ._network import capacity, incidents, travaux
from ._notifications import notifications
from ._offers import fin_contrat, lancement, lancements
from ._portal import portail
from ._portal_files import fichiers
from ._sav import sav
from ._serve import demo, pki_init, serve
from ._suspensions import operators_resume, operators_suspend
from ._testset import testset
from ._wsdl import wsdl

__all__ = ["cli", "main"]


@click.group(cls=EsavGroup, context_settings={"help_option_names": HELP_OPTION_NAMES})
@click.version_option(package_name="esav-gateway")
def cli() -> None:
    """e-SAV : la passerelle SAV du fournisseur (web services, back office, démonstration)."""


@click.group(cls=EsavGroup)
def pki() -> None:
    """PKI du fournisseur : autorité de certification et certificat du serveur."""


pki.add_command(pki_init)
for command in (serve, demo, pki, certs, operators, prestations, sav):
    cli.add_command(command)
cli.add_command(catalogue)
for command in (preview_command, announce_command, remind_command):  # new form versions vs real deposits
    catalogue.add_command(command)
cli.add_command(wsdl)
cli.add_command(bench)
cli.add_command(notifications)
operators.add_command(operators_validate)
operators.add_command(operators_suspend)  # the provider cuts (and restores) an operator's access at once
operators.add_command(operators_resume)
cli.add_command(integration)
cli.add_command(testset)
# Running the service.
for command in (maintenance, quota, stats, audit):
    cli.add_command(command)
certs.add_command(certs_expiring)
certs.add_command(certs_renew)
cli.add_command(mail)  # e-mail to operators: outbox, retries, addresses
for command in (capacity, travaux, incidents):
    cli.add_command(command)
cli.add_command(portail)  # the operators' portal
cli.add_command(db)  # backup and restore of the store
cli.add_command(grappe)  # several nodes behind HAProxy, a replicated PostgreSQL (local demo)
portail.add_command(fichiers)  # what operators sent the provider in "Mes fichiers"
portail.add_command(lancement)  # offers' commercial launches: their month of set-up
portail.add_command(lancements)
portail.add_command(fin_contrat)  # an offer contract's end: the offer leaves the operator's e-SAV


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``esav`` with ``argv``; returns the exit status instead of exiting."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="esav", standalone_mode=False)
    except click.exceptions.Abort:
        echo("Interrompu.", err=True)
        return 130
    except click.ClickException as error:
        error.message = printable(error.message)  # type: ignore[misc]  # it may quote stored text
        error.show()
        return error.exit_code
    except SystemExit as exit_:  # --help, --version
        return int(exit_.code or 0)
    return 0


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())
