"""``esav courriel``: the outbox of e-mail to operators, its retries, and operators' notification addresses;
``esav certificats renouveler``: deliver a renewed certificate and mail its notice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from gateway.domain.clock import to_paris
from gateway.domain.mail_lists import MailList
from gateway.security import pki

from ._common import (
    data_option,
    echo,
    echo_json,
    esav_errors,
    open_gateway,
    provider_author,
    require_store,
    settings_from,
)
from ._language import EsavCommand, EsavGroup

__all__ = ["certs_renew", "mail"]

_STATUSES = ("EN_ATTENTE", "EN_COURS", "ENVOYE", "ABANDONNE", "SANS_DESTINATAIRE")


def _paris(instant: datetime | None) -> str:
    return "-" if instant is None else f"{to_paris(instant):%d/%m/%Y %H:%M}"


@click.group("courriel", cls=EsavGroup, aliases=["mail"])
def mail() -> None:
    """Courrier électronique aux opérateurs : file d'envoi, relances, adresses de notification."""


@mail.command("file", aliases=["outbox"])
@data_option
@click.option("--statut", type=click.Choice(_STATUSES), default=None, help="Seulement les messages dans cet état.")
@click.option("--operateur", "operator_code", default=None, help="Seulement cet opérateur.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def mail_outbox(
    config_file: Path | None, data_dir: Path | None, statut: str | None, operator_code: str | None, as_json: bool
) -> None:
    """Lister la file d'envoi (les plus récents d'abord) : état, tentatives, destinataires, objet."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        records = gateway.mail.outbox(status=statut, operator_code=operator_code)
    if as_json:
        echo_json([{k: v for k, v in vars(r).items() if k not in ("text_body", "html_body")} for r in records])
        return
    if not records:
        echo("File d'envoi vide.")
    for r in records:
        extra = f"  pièces : {', '.join(r.attachment_names)}" if r.attachment_names else ""
        error = f"  erreur : {r.last_error}" if r.last_error else ""
        echo(
            f"{r.id:5} {r.status:17} {r.operator_code:7} {_paris(r.created_at)}  essais {r.attempts}  "
            f"à {', '.join(r.recipients) or '(personne)'}\n      {r.subject}{extra}{error}"
        )


@mail.command("afficher", aliases=["show"])
@data_option
@click.argument("mail_id", type=int)
@esav_errors
def mail_show(config_file: Path | None, data_dir: Path | None, mail_id: int) -> None:
    """Afficher un message de la file : en-têtes, texte, pièces jointes."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        record = gateway.mail.message(mail_id)
        attachments = gateway.mail.attachments(mail_id)
    echo(f"Message-ID : {record.message_id}")
    echo(f"À : {', '.join(record.recipients) or '(personne)'}")
    echo(f"Objet : {record.subject}")
    echo(f"État : {record.status} (essais : {record.attempts}, envoyé : {_paris(record.sent_at)})")
    for a in attachments:
        echo(f"Pièce jointe : {a.name} ({a.mime_type}, {len(a.content)} octets)")
    echo("")
    echo(record.text_body)


@mail.command("relancer", aliases=["retry"])
@data_option
@click.argument("mail_ids", type=int, nargs=-1)
@click.option("--tous", "every", is_flag=True, help="Tous les messages ABANDONNE et SANS_DESTINATAIRE.")
@esav_errors
def mail_retry(config_file: Path | None, data_dir: Path | None, mail_ids: tuple[int, ...], every: bool) -> None:
    """Relancer des messages abandonnés (ou sans destinataire), vers les adresses actuelles de l'opérateur."""
    if bool(mail_ids) == every:
        raise click.UsageError("Donnez des numéros de messages, ou --tous.")
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        requeued = gateway.mail.retry(None if every else mail_ids, author=provider_author())
    if requeued:
        echo(f"Relancé(s) : {', '.join(map(str, requeued))}.")
    else:
        echo("Aucun message relancé (aucun, ou toujours sans adresse pour l'opérateur).")


@mail.command("envoyer", aliases=["send"])
@data_option
@esav_errors
def mail_send(config_file: Path | None, data_dir: Path | None) -> None:
    """Envoyer maintenant les messages dus par le relais configuré (sans attendre le serveur)."""
    from gateway.server._mail import SmtpSender  # the network part: only for this command

    settings = settings_from(config_file, data_dir)
    require_store(settings)
    if not settings.mail_relay_host:
        raise click.ClickException("Aucun relais configuré (mail_relay_host) : les messages restent dans la file.")
    with open_gateway(settings) as gateway:
        run = gateway.mail.deliver(SmtpSender(settings))
    echo(f"Envoyés : {len(run.sent)} ; à réessayer : {len(run.retried)} ; abandonnés : {len(run.abandoned)}.")
    if run.retried or run.abandoned:
        raise SystemExit(1)


@mail.command("adresses", aliases=["addresses"])
@data_option
@click.argument("operator_code", required=False)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def mail_addresses(config_file: Path | None, data_dir: Path | None, operator_code: str | None, as_json: bool) -> None:
    """Lister les adresses de notification (d'un opérateur, ou de tous), par liste."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        records = gateway.mail.addresses(operator_code)
    if as_json:
        echo_json([vars(r) for r in records])
        return
    if not records:
        echo("Aucune adresse de notification.")
    for r in records:
        echo(f"{r.operator_code:7} {r.list:14} {r.address}  (ajoutée le {_paris(r.added_at)} par {r.added_by})")


_LIST_OPTION = click.option(
    "--liste",
    "list_name",
    required=True,
    type=click.Choice([m.value for m in MailList]),
    help="contrat, correspondant (e-SAV) ou une liste par sujet.",
)


@mail.command("ajouter", aliases=["add"])
@data_option
@click.argument("operator_code")
@click.argument("address")
@_LIST_OPTION
@esav_errors
def mail_add(config_file: Path | None, data_dir: Path | None, operator_code: str, address: str, list_name: str) -> None:
    """Ajouter une adresse de notification à une liste d'un opérateur."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        added = gateway.mail.add_address(operator_code, list_name, address, author=provider_author())
    echo(f"{operator_code} {list_name} : {address.strip()} " + ("ajoutée." if added else "y figurait déjà."))


@mail.command("retirer", aliases=["remove"])
@data_option
@click.argument("operator_code")
@click.argument("address")
@_LIST_OPTION
@esav_errors
def mail_remove(
    config_file: Path | None, data_dir: Path | None, operator_code: str, address: str, list_name: str
) -> None:
    """Retirer une adresse de notification d'une liste d'un opérateur."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        removed = gateway.mail.remove_address(operator_code, list_name, address, author=provider_author())
    if not removed:
        raise click.ClickException(f"{operator_code} {list_name} : {address.strip()} n'y figure pas.")
    echo(f"{operator_code} {list_name} : {address.strip()} retirée.")


@click.command("renouveler", cls=EsavCommand, aliases=["renew"])
@data_option
@click.argument("operator_code")
@click.option(
    "--cert",
    "cert_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Le nouveau certificat de l'opérateur (AC reconnue) ; sans lui, l'AC du fournisseur en émet un.",
)
@click.option(
    "--sortie",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier où écrire le certificat émis et sa clé (défaut : le dossier pki).",
)
@click.option(
    "--jours",
    "--days",
    "days",
    type=int,
    default=730,
    show_default=True,
    help="Durée de validité d'un certificat émis.",
)
@esav_errors
def certs_renew(
    config_file: Path | None, data_dir: Path | None, operator_code: str, cert_file: Path | None, out_dir: Path | None,
    days: int,
) -> None:  # fmt: skip
    """Renouveler le certificat d'OPERATEUR (à livrer 15 jours ouvrés avant l'expiration) et lui envoyer
    l'avis de livraison ; l'ancien certificat reste valable jusqu'à son expiration."""
    settings = settings_from(config_file, data_dir)
    author = provider_author()
    with open_gateway(settings) as gateway:
        if cert_file is not None:
            trusted = [(settings.pki_dir / "ca.pem").read_bytes(), *(p.read_bytes() for p in settings.recognised_cas)]
            renewal = gateway.certificate_renewal.renew(
                operator_code, cert_pem=cert_file.read_bytes(), trusted_ca_pems=trusted, author=author
            )
        else:
            ca_cert, ca_key = settings.pki_dir / "ca.pem", settings.pki_dir / "ca.key"
            if not ca_key.exists():
                raise click.ClickException(f"AC absente ({ca_key}) : lancez d'abord « esav pki initialiser ».")
            renewal = gateway.certificate_renewal.renew(
                operator_code, ca=pki.load_issued(ca_cert, ca_key), valid_days=days, author=author
            )
    record = renewal.certificate
    if renewal.issued is not None:
        out = out_dir or settings.pki_dir
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{operator_code}-{record.fingerprint[:8]}"
        pki.write_pem_files(renewal.issued, out / f"{stem}.pem", out / f"{stem}.key")
        echo(f"Certificat émis : {out / f'{stem}.pem'} (clé : {out / f'{stem}.key'}).")
    echo(f"Nouveau certificat {record.fingerprint} valable jusqu'au {_paris(record.not_after)}.")
    if renewal.previous is not None:
        echo(
            f"L'ancien ({renewal.previous.fingerprint[:16]}…) reste valable "
            f"jusqu'au {_paris(renewal.previous.not_after)}"
            f" ; livraison due le {renewal.due_on:%d/%m/%Y}"
            + (" : livré EN RETARD." if renewal.late else " : dans les délais.")
        )
    echo(
        f"Avis de livraison : message {renewal.mail_id} (esav courriel file)."
        if renewal.mail_id is not None
        else "Avis de livraison déjà en file."
    )
