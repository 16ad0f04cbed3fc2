"""``esav operateurs``, ``esav certificats``, ``esav prestations``: the provider's administration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from gateway.domain.clock import to_paris
from gateway.domain.subscriptions import access_closed
from gateway.security import pki
from gateway.services import DOMAINS

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
from ._language import EsavGroup

__all__ = ["certs", "operators", "prestations"]


@click.group("operateurs", cls=EsavGroup, aliases=["operators"])
def operators() -> None:
    """Opérateurs clients : création, modification, liste."""


@operators.command("ajouter", aliases=["add"])
@data_option
@click.argument("code")
@click.argument("name")
@click.option("--en-ligne/--sans-en-ligne", default=True, help="Abonné à e-SAV en ligne (pages web).")
@click.option("--integre/--sans-integre", default=True, help="Abonné à e-SAV intégré (web services).")
@click.option(
    "--domaine", "--domain", "domains", multiple=True, type=click.Choice(DOMAINS), help="Domaine validé (répétable)."
)
@esav_errors
def operators_add(
    config_file: Path | None,
    data_dir: Path | None,
    code: str,
    name: str,
    en_ligne: bool,
    integre: bool,
    domains: tuple[str, ...],
) -> None:
    """Créer l'opérateur CODE nommé NOM (refusé si CODE existe : voir « operateurs modifier »)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        operator = gateway.admin.add_operator(
            code, name, esav_en_ligne=en_ligne, esav_integre=integre, domains=domains, author=provider_author()
        )
    echo(f"Opérateur {operator.code} ({operator.name}) enregistré.")


@operators.command("modifier", aliases=["update"])
@data_option
@click.argument("code")
@click.option("--nom", "--name", "name", default=None, help="Nouveau nom.")
@click.option("--en-ligne/--sans-en-ligne", default=None, help="Abonné ou non à e-SAV en ligne (inchangé si absent).")
@click.option("--integre/--sans-integre", default=None, help="Abonné ou non à e-SAV intégré (inchangé si absent).")
@esav_errors
def operators_update(
    config_file: Path | None,
    data_dir: Path | None,
    code: str,
    name: str | None,
    en_ligne: bool | None,
    integre: bool | None,
) -> None:
    """Modifier le nom ou les accès de l'opérateur CODE (audité ; ses domaines validés restent inchangés)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        operator = gateway.admin.update_operator(
            code, name=name, esav_en_ligne=en_ligne, esav_integre=integre, author=provider_author()
        )
    echo(f"Opérateur {operator.code} ({operator.name}) modifié.")


@operators.command("liste", aliases=["list"])
@data_option
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def operators_list(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Lister les opérateurs."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        rows = gateway.admin.list_operators()
        today = to_paris(gateway.clock.now()).date()
    if as_json:
        echo_json([{**vars(o), "domains": sorted(o.domains)} for o in rows])
        return
    for o in rows:
        access = ", ".join(a for a, on in (("en ligne", o.esav_en_ligne), ("intégré", o.esav_integre)) if on)
        if o.esav_ends_on is not None:  # a terminated subscription: accesses close on its effective day
            end = date.fromisoformat(str(o.esav_ends_on))
            closed = access_closed(end, today)
            access = f"fermé depuis le {end:%d/%m/%Y}" if closed else f"{access or '-'} (jusqu'au {end:%d/%m/%Y})"
        echo(f"{o.code:8} {o.name:24} accès : {access or '-':20} domaines : {', '.join(sorted(o.domains)) or '-'}")


@click.group("certificats", cls=EsavGroup, aliases=["certs"])
def certs() -> None:
    """Certificats clients des opérateurs : émission, enregistrement, révocation."""


@certs.command("emettre", aliases=["issue"])
@data_option
@click.argument("operator_code")
@click.option(
    "--sortie",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier où écrire CODE.pem et CODE.key (défaut : le dossier pki).",
)
@click.option("--jours", "--days", "days", type=int, default=730, show_default=True, help="Durée de validité en jours.")
@esav_errors
def certs_issue(
    config_file: Path | None, data_dir: Path | None, operator_code: str, out_dir: Path | None, days: int
) -> None:
    """Émettre un certificat client pour OPERATEUR avec l'AC du fournisseur et l'enregistrer."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    ca_cert, ca_key = settings.pki_dir / "ca.pem", settings.pki_dir / "ca.key"
    if not ca_key.exists():
        raise click.ClickException(f"AC absente ({ca_key}) : lancez d'abord « esav pki initialiser ».")
    ca = pki.load_issued(ca_cert, ca_key)
    with open_gateway(settings) as gateway:
        issued = gateway.admin.issue_certificate(operator_code, ca, valid_days=days, author=provider_author())
    out = out_dir or settings.pki_dir
    out.mkdir(parents=True, exist_ok=True)
    stem = (
        f"{operator_code}-{issued.info.fingerprint[:8]}" if (out / f"{operator_code}.pem").exists() else operator_code
    )
    pki.write_pem_files(issued, out / f"{stem}.pem", out / f"{stem}.key")
    echo(
        f"Certificat émis : {out / f'{stem}.pem'} (empreinte {issued.info.fingerprint}, "
        f"valide jusqu'au {issued.info.not_after:%d/%m/%Y})."
    )


@certs.command("enregistrer", aliases=["register"])
@data_option
@click.argument("operator_code")
@click.argument("cert_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@esav_errors
def certs_register(config_file: Path | None, data_dir: Path | None, operator_code: str, cert_file: Path) -> None:
    """Enregistrer pour OPERATEUR un certificat émis par une AC reconnue (chaîne vérifiée)."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    trusted = [(settings.pki_dir / "ca.pem").read_bytes(), *(p.read_bytes() for p in settings.recognised_cas)]
    with open_gateway(settings) as gateway:
        record = gateway.admin.register_certificate(
            operator_code, cert_file.read_bytes(), trusted, author=provider_author()
        )
    echo(f"Certificat {record.fingerprint} enregistré pour {operator_code} (émetteur {record.issuer_cn}).")


@certs.command("revoquer", aliases=["revoke"])
@data_option
@click.argument("fingerprint")
@esav_errors
def certs_revoke(config_file: Path | None, data_dir: Path | None, fingerprint: str) -> None:
    """Révoquer un certificat (effet immédiat) par son empreinte SHA-256."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        record = gateway.admin.revoke_certificate(fingerprint, author=provider_author())
    echo(f"Certificat {record.fingerprint} de {record.operator_code} révoqué.")


@certs.command("liste", aliases=["list"])
@data_option
@click.option("--operateur", "--operator", "operator_code", default=None, help="Seulement cet opérateur.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def certs_list(config_file: Path | None, data_dir: Path | None, operator_code: str | None, as_json: bool) -> None:
    """Lister les certificats enregistrés et leur expiration."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        rows = gateway.admin.list_certificates(operator_code)
    if as_json:
        echo_json([vars(r) for r in rows])
        return
    for r in rows:
        state = f"révoqué le {r.revoked_at:%d/%m/%Y}" if r.revoked_at else "actif"
        echo(f"{r.operator_code:8} {r.fingerprint[:16]}…  expire le {r.not_after:%d/%m/%Y}  {state}")


@click.group(cls=EsavGroup)
def prestations() -> None:
    """Prestations (lignes, liens) des opérateurs : import, transfert, liste."""


@prestations.command("importer", aliases=["import"])
@data_option
@click.argument("csv_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@esav_errors
def prestations_import(config_file: Path | None, data_dir: Path | None, csv_file: Path) -> None:
    """Importer des prestations d'un CSV séparé par « ; » (tout ou rien)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        count = gateway.admin.import_prestations(csv_file, author=provider_author())
    echo(f"{count} prestation(s) importée(s) depuis {csv_file}.")


@prestations.command("transferer", aliases=["transfer"])
@data_option
@click.argument("identifiant")
@click.option("--vers", "--to", "to_operator", required=True, help="Code de l'opérateur qui devient titulaire.")
@click.option("--motif", "--reason", "reason", required=True, help="Motif du transfert (consigné dans l'audit).")
@esav_errors
def prestations_transfer(
    config_file: Path | None, data_dir: Path | None, identifiant: str, to_operator: str, reason: str
) -> None:
    """Transférer la prestation IDENTIFIANT à un autre opérateur (audité ; ses signalisations restent à l'ancien)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        owner = gateway.admin.prestation(identifiant).operator_code
        record = gateway.admin.transfer_prestation(identifiant, to_operator, reason=reason, author=provider_author())
    echo(f"Prestation {record.identifiant} transférée de {owner} à {record.operator_code}.")


@prestations.command("liste", aliases=["list"])
@data_option
@click.option("--operateur", "--operator", "operator_code", default=None, help="Seulement cet opérateur.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def prestations_list(config_file: Path | None, data_dir: Path | None, operator_code: str | None, as_json: bool) -> None:
    """Lister les prestations."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        rows = gateway.admin.list_prestations(operator_code)
    if as_json:
        echo_json([vars(r) for r in rows])
        return
    for r in rows:
        echo(f"{r.identifiant:14} {r.operator_code:8} {r.code_offre:18} {r.gtr:9} {r.extremite_a}")
