"""The ``esav`` click group and ``main(argv)``."""

from __future__ import annotations

from collections.abc import Sequence

import click

from ._language import HELP_OPTION_NAMES, EsavGroup, LazyCommand
from ._output import echo, printable

__all__ = ["cli", "main"]


@click.group(cls=EsavGroup, context_settings={"help_option_names": HELP_OPTION_NAMES})
@click.version_option(package_name="esav-gateway")
def cli() -> None:
    """e-SAV : la passerelle SAV du fournisseur (web services, back office, démonstration)."""


@click.group(cls=EsavGroup)
def pki() -> None:
    """PKI du fournisseur : autorité de certification et certificat du serveur."""


def _lazy(module: str, attribute: str, help_: str, *aliases: str, **children: LazyCommand) -> LazyCommand:
    """A command of ``gateway.cli.<module>``; ``children``: the sub-commands other modules add to its group."""
    return LazyCommand(f"gateway.cli.{module}:{attribute}", help_, aliases, tuple(children.items()))


#: Every command but ``pki``, by its name, with the first paragraph of its help (the listing shows it): a
#: command's module, and what it imports, is loaded only when that command runs (tests/test_cli_language.py
#: checks these against the commands).
COMMANDS: dict[str, LazyCommand] = {
    "servir": _lazy("_serve", "serve", "Servir les web services e-SAV en HTTPS avec TLS mutuel.", "serve"),
    "demo": _lazy("_serve", "demo", "Construire (ou compléter) les données de démonstration sans démarrer le serveur."),
    "certificats": _lazy(
        "_admin",
        "certs",
        "Certificats clients des opérateurs : émission, enregistrement, révocation.",
        "certs",
        expirant=_lazy(
            "_exploitation",
            "certs_expiring",
            "Certificats qui expirent dans les N jours ouvrés (rappel au fournisseur : 15 jours ouvrés avant).",
            "expiring",
        ),
        renouveler=_lazy(
            "_mail",
            "certs_renew",
            "Renouveler le certificat d'OPERATEUR (à livrer 15 jours ouvrés avant l'expiration) et lui envoyer "
            "l'avis de livraison ; l'ancien certificat reste valable jusqu'à son expiration.",
            "renew",
        ),
    ),
    "operateurs": _lazy(
        "_admin",
        "operators",
        "Opérateurs clients : création, modification, liste.",
        "operators",
        valider=_lazy(
            "_integration",
            "operators_validate",
            "Importer une attestation de la plate-forme d'intégration : ouvre les domaines attestés en web services.",
            "validate",
        ),
        suspendre=_lazy(
            "_suspensions",
            "operators_suspend",
            "Suspendre sur-le-champ l'accès de l'opérateur CODE : connexion au portail et web services refusés.",
            "suspend",
        ),
        retablir=_lazy(
            "_suspensions",
            "operators_resume",
            "Lever la suspension de l'opérateur CODE : ses accès reprennent à la requête suivante.",
            "resume",
        ),
    ),
    "prestations": _lazy(
        "_admin", "prestations", "Prestations (lignes, liens) des opérateurs : import, transfert, liste."
    ),
    "sav": _lazy("_sav", "sav", "Back office SAV : faire avancer les signalisations, commenter, consulter."),
    "catalogue": _lazy(
        "_catalogue",
        "catalogue",
        "Catalogue des formulaires : vérification, maquettes, exemples, différences, publication.",
        # new form versions against real deposits
        apercu=_lazy(
            "_catalogue_preview",
            "preview_command",
            "Rejouer les dépôts du formulaire CODE des derniers jours contre sa version VERSION : par opérateur, "
            "combien passeraient ou seraient refusés, chaque erreur (chemin, libellé, dépôts touchés, une référence).",
            "preview",
        ),
        annoncer=_lazy(
            "_catalogue_preview",
            "announce_command",
            "Annoncer la version VERSION du formulaire CODE (catalogue servi) : à chaque opérateur concerné, par "
            "courrier électronique et sur son portail, avec son propre aperçu (préavis de 6 mois si incompatible, "
            "2 sinon).",
            "announce",
        ),
        rappeler=_lazy(
            "_catalogue_preview",
            "remind_command",
            "Envoyer les rappels dus : une semaine avant le retrait d'une version, à chaque opérateur dont les "
            "dépôts des 7 derniers jours seraient encore refusés (une fois par opérateur et version).",
            "remind",
        ),
    ),
    "wsdl": _lazy(
        "_wsdl",
        "wsdl",
        "Contrats WSDL publiés (wsdl/v1, wsdl/v2) : les figer, vérifier que le code les génère encore.",
    ),
    "banc": _lazy(
        "_bench",
        "bench",
        "Mesurer la passerelle : débit et latences en TLS mutuel (rapportés à un écho spyne), ou volumétrie.",
        "bench",
    ),
    "notifications": _lazy(
        "_notifications",
        "notifications",
        "Notifications aux opérateurs : points de rappel, file d'envoi, rejeu, récepteur de référence.",
    ),
    "integration": _lazy(
        "_integration",
        "integration",
        "Plate-forme d'intégration : robot de scénarios, journal des appels, campagne, bac à sable.",
    ),
    "jeu-de-test": _lazy(
        "_testset",
        "testset",
        "Jeu de test e-SAV : rejouer les scénarios contre la plate-forme d'intégration (ou un autre point d'accès).",
        "testset",
    ),
    # Running the service.
    "maintenance": _lazy(
        "_exploitation", "maintenance", "Interruptions programmées des web services (préavis : deux jours ouvrés)."
    ),
    "quota": _lazy("_exploitation", "quota", "Limites de requêtes par opérateur et par minute (aucune par défaut)."),
    "stats": _lazy(
        "_exploitation",
        "stats",
        "Volumétrie : appels, requêtes comptées (§8), fautes et latences (p50/p95/p99) par opérateur et opération.",
    ),
    "audit": _lazy("_exploitation", "audit", "Journal d'audit des actions du fournisseur : qui, quand, quoi."),
    # e-mail to operators: outbox, retries, addresses
    "courriel": _lazy(
        "_mail",
        "mail",
        "Courrier électronique aux opérateurs : file d'envoi, relances, adresses de notification.",
        "mail",
    ),
    "capacite": _lazy(
        "_network",
        "capacity",
        "Capacité des techniciens par zone (département), type d'intervention et créneau.",
        "capacity",
    ),
    "travaux": _lazy("_network", "travaux", "Travaux programmés (TP) : déclaration, liste, mise à jour."),
    "incidents": _lazy("_network", "incidents", "Incidents réseau : déclaration, liste, mise à jour."),
    # the operators' portal
    "portail": _lazy(
        "_portal",
        "portail",
        "Espace Opérateurs : actualités, annonces (avec leur préavis), abonnements, fichiers, factures, agents.",
        # what operators sent the provider in "Mes fichiers"
        fichiers=_lazy(
            "_portal_files",
            "fichiers",
            "Fichiers reçus des opérateurs (« Mes fichiers ») : lister, télécharger une version.",
        ),
        # offers' commercial launches (their month of set-up), an offer contract's end
        lancement=_lazy(
            "_offers",
            "lancement",
            "Enregistrer le lancement commercial d'OFFRE : ses signalisations sont traitées dans e-SAV un mois "
            "plus tard, pour tous les opérateurs (procédure hors Web en attendant).",
        ),
        lancements=_lazy(
            "_offers",
            "lancements",
            "Lister les lancements commerciaux d'offres enregistrés et la fin de leur mise en place.",
        ),
        **{
            "fin-contrat": _lazy(
                "_offers",
                "fin_contrat",
                "Dater la fin du contrat d'OFFRE pour OPERATEUR : dès cette date l'offre quitte son profil (droits, "
                "formulaires, tests, « Mes fichiers ») et ses dépôts et tests par web services sont refusés.",
            )
        },
    ),
    # backup and restore of the store
    "base": _lazy("_db", "db", "Base de données : sauvegarde à chaud, restauration, migrations.", "db"),
    # several nodes behind HAProxy, a replicated PostgreSQL (local demo)
    "grappe": _lazy(
        "_cluster",
        "grappe",
        "Plusieurs nœuds derrière HAProxy sur une base PostgreSQL répliquée (démonstration locale).",
    ),
}

cli.add_command(pki)
#: ``esav pki initialiser``.
PKI_INIT = _lazy(
    "_serve",
    "pki_init",
    "Créer l'autorité de certification du fournisseur, le certificat du serveur et la base (une fois).",
    "init",
)
pki.add_lazy("initialiser", PKI_INIT)
for name, command in COMMANDS.items():
    cli.add_lazy(name, command)


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
