"""One language on the command line: French, click's own messages and the metavars included.

Every command, sub-command, option and metavar of ``esav`` is a French word (or a domain word or
acronym kept as it is: *sav*, *wsdl*, *pki*, *json*); ``VOCABULARY`` lists them all, and a test walks
every ``--aide`` against it. The English spellings of the previous release stay accepted for one
release, hidden: a command's ``aliases`` (``EsavGroup``), an option's later long names (``EsavOption``
shows only the first). click's own messages ("Usage:", "Error: …") are translated by
``install_french_messages``.
"""

from __future__ import annotations

import gettext
import importlib
from collections.abc import Sequence
from typing import Any, NamedTuple

import click

__all__ = [
    "HELP_OPTION_NAMES",
    "VOCABULARY",
    "EsavArgument",
    "EsavCommand",
    "EsavGroup",
    "EsavOption",
    "LazyCommand",
    "install_french_messages",
]

#: ``-h`` and ``--aide``; ``--help`` stays accepted, hidden.
HELP_OPTION_NAMES = ["-h", "--aide", "--help"]

#: Every word of a command, option or metavar (split on "-" and "_"), French or a domain word kept as it is.
VOCABULARY = frozenset(
    """
    a abonnements ac acces acteur actif activer adresse adresses afficher agents aide ajouter ancienne annonce
    annoncer annuler apercu archiver arguments attestation audit auteur balayer banc base campagne capacite
    catalogue cert certificat certificats champ chemin cible cle clients clore code commande commenter commune
    comparer config contrat courriel creneau csv date de debut decimal declarer demarrer demo depuis description
    document domaine donnees dossier duree emettre empreinte en enregistrer entier envoyer etat exemple expirant
    facture faq fichier fichiers figer file fin fixer format formulaire geler grappe gravite hote id identifiant impact
    importer incidents initialiser instant integration integre intervalle jeu journal jours json junit jusqu lancement
    lancements lever ligne liste maintenance maquettes max message minute modifier montant mot motif nom nombre
    noeuds notifications nouvelle numero offre operateur operateurs options ouvres page pair paires par partir passe
    periode pki port portail prestations processus publier qualifier question quota rapide rappeler recepteur
    recherche reference reinitialiser rejeter rejouer relancer renouveler reponse reprendre resilier restaurer
    retablir retirer revoquer robot role roles sans sauvegarde sauvegarder sav scenario secours servir simultanes sortie
    migrer stats statut stricte supprimer suspendre suspendu taille telecharger test texte tickets titre tous toutes
    transferer travaux type urgence url valider verifier vers version volumetrie web wsdl zone
    """.split()  # noqa: SIM905 -- a word list, read and kept as one
)


#: click's metavars of its types, in French.
_METAVARS = {
    "TEXT": "TEXTE",
    "INTEGER": "ENTIER",
    "INTEGER RANGE": "ENTIER",
    "FLOAT": "NOMBRE",
    "FLOAT RANGE": "NOMBRE",
    "FILENAME": "FICHIER",
    "PATH": "CHEMIN",
}
#: Arguments by their parameter name (English, as in the code) -> what the usage line calls them.
ARGUMENT_NAMES = {
    "address": "ADRESSE",
    "backup": "SAUVEGARDE",
    "cert_file": "CERTIFICAT",
    "csv_file": "FICHIER_CSV",
    "file_id": "ID_FICHIER",
    "fingerprint": "EMPREINTE",
    "login": "IDENTIFIANT",
    "mail_id": "ID_MESSAGE",
    "mail_ids": "ID_MESSAGE",
    "name": "NOM",
    "new": "NOUVELLE",
    "offer": "OFFRE",
    "old": "ANCIENNE",
    "operator": "OPERATEUR",
    "operator_code": "OPERATEUR",
    "path": "CHEMIN",
    "target": "CIBLE",
    "text": "TEXTE",
}


class EsavOption(click.Option):
    """An option shown (help, errors) by its first long name only: its other long names are the hidden
    spellings of the previous release (``--auteur`` is shown, ``--author`` still accepted)."""

    def get_help_spec(self, ctx: click.Context) -> str:
        opts, secondary = self.opts, self.secondary_opts
        self.opts, self.secondary_opts = _shown(opts), _shown(secondary)
        try:
            return super().get_help_spec(ctx)
        finally:
            self.opts, self.secondary_opts = opts, secondary

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return " / ".join(f"'{name}'" for name in _shown(self.opts))

    def make_metavar(self, ctx: click.Context) -> str:
        metavar = super().make_metavar(ctx)
        base = metavar.removesuffix("...")
        return _METAVARS.get(base, base) + metavar[len(base) :]


class EsavArgument(click.Argument):
    """An argument named in French on the usage line and in errors (``ARGUMENT_NAMES``)."""

    def make_metavar(self, ctx: click.Context) -> str:
        metavar = super().make_metavar(ctx)
        english = (self.name or "").upper()
        return metavar.replace(english, ARGUMENT_NAMES.get(self.name or "", english), 1)


def _shown(names: Sequence[str]) -> list[str]:
    longs = [name for name in names if name.startswith("--")]
    return [name for name in names if not name.startswith("--") or name == longs[0]]


class _FrenchFormatter(click.HelpFormatter):
    """Help pages with French typography: a space before the colon of a heading (``Options :``)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading} :\n")


class _FrenchContext(click.Context):
    formatter_class = _FrenchFormatter


class _French:
    """What ``EsavCommand`` and ``EsavGroup`` share: French metavars, options and arguments shown as
    ``EsavOption`` and ``EsavArgument``."""

    context_class: type[click.Context] = _FrenchContext

    def __init__(self, *args: Any, aliases: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[OPTIONS]")
        super().__init__(*args, **kwargs)
        self.aliases = tuple(aliases)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params: list[click.Parameter] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:  # the help option too, which click builds itself
            if type(param) is click.Option:
                param.__class__ = EsavOption
            elif type(param) is click.Argument:
                param.__class__ = EsavArgument
        return params


class EsavCommand(_French, click.Command):
    """A command whose old name(s) ``aliases`` its group still accepts, hidden."""


class LazyCommand(NamedTuple):
    """A command its group imports only when it runs or shows its own help: ``target`` is
    ``module:attribute``, ``help`` the first paragraph of its help (the group's listing shows it),
    ``aliases`` its old names, ``children`` the lazy sub-commands its group gets once imported."""

    target: str
    help: str
    aliases: tuple[str, ...] = ()
    children: tuple[tuple[str, LazyCommand], ...] = ()

    def load(self) -> click.Command:
        module, attribute = self.target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


class EsavGroup(_French, click.Group):
    """A group that accepts its commands' ``aliases`` without listing them; its sub-commands and
    sub-groups are ``EsavCommand`` and ``EsavGroup``. Its ``lazy`` commands are imported when one of them
    runs: listing them (``--aide``) imports nothing, so ``esav`` starts in a few hundredths of a second."""

    command_class = EsavCommand
    group_class = type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]...")
        super().__init__(*args, **kwargs)
        self._aliases: dict[str, str] = {}
        self.lazy: dict[str, LazyCommand] = {}

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        for alias in getattr(cmd, "aliases", ()):
            self._aliases[alias] = name or cmd.name or alias

    def add_lazy(self, name: str, command: LazyCommand) -> None:
        """Add ``command`` under ``name``, imported the first time the group is asked for it."""
        self.lazy[name] = command
        for alias in command.aliases:
            self._aliases[alias] = name

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = cmd_name if cmd_name in self.commands or cmd_name in self.lazy else self._aliases.get(cmd_name, "")
        if name in self.lazy:
            entry = self.lazy.pop(name)
            command = entry.load()
            if isinstance(command, EsavGroup):
                for child_name, child in entry.children:
                    command.add_lazy(child_name, child)
            self.add_command(command, name)
        return self.commands.get(name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command under its own name, also when an alias reached it (usage lines, errors)."""
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command is not None else name), command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their one-line help, as click shows them; the lazy ones stay unimported."""
        listed = [
            (name, self.commands.get(name) or click.Command(name, help=self.lazy[name].help))
            for name in self.list_commands(ctx)
        ]
        listed = [(name, command) for name, command in listed if not command.hidden]
        if listed:
            limit = formatter.width - 6 - max(len(name) for name, _command in listed)
            with formatter.section(_gettext("Commands")):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in listed])


#: click's messages (the ones ``esav`` can show) in French; any other stays as click wrote it.
FRENCH: dict[str, str] = {
    "Usage:": "Usage :",
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Show this message and exit.": "Afficher cette aide et quitter.",
    "Show the version and exit.": "Afficher la version et quitter.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Error: {message}": "Erreur : {message}",
    "Try '{command} {option}' for help.": "Aide : « {command} {option} ».",
    "Aborted!": "Interrompu.",
    "Missing command.": "Commande manquante.",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "No such option {name!r}.": "Option inconnue : {name!r}.",
    "Did you mean {possibility}?": "Vouliez-vous dire {possibility} ?",
    "(Did you mean one of: {possibilities}?)": "(Vouliez-vous dire l'une de : {possibilities} ?)",
    "Missing argument": "Argument manquant",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing {param_type}": "{param_type} manquant",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Got unexpected extra argument ({args})": "Argument en trop : {args}",
    "Got unexpected extra arguments ({args})": "Arguments en trop : {args}",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Option {name!r} requires an argument.": "L'option {name!r} demande une valeur.",
    "Option {name!r} requires {nargs} arguments.": "L'option {name!r} demande {nargs} valeurs.",
    "Argument {name!r} takes {nargs} values.": "L'argument {name!r} prend {nargs} valeurs.",
    "{value!r} is not {choice}.": "{value!r} n'est pas {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} n'est pas parmi {choices}.",
    "Choose from:\n\t{choices}": "Au choix :\n\t{choices}",
    "{value!r} does not match the format {format}.": "{value!r} ne suit pas le format {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} ne suit aucun des formats {formats}.",
    "{value} is not in the range {range}.": "{value} hors de l'intervalle {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un nombre valide ({number_type}).",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} n'est pas un booléen ({states}).",
    "{value!r} is not a valid UUID.": "{value!r} n'est pas un UUID valide.",
    "file": "fichier",
    "directory": "dossier",
    "path": "chemin",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} illisible.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} non modifiable.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} non exécutable.",
    "Could not open file {filename!r}: {message}": "Impossible d'ouvrir le fichier {filename!r} : {message}",
    "env var: {var}": "variable d'environnement : {var}",
    "default: {default}": "défaut : {default}",
    "required": "obligatoire",
    "Do you want to continue?": "Continuer ?",
    "Repeat for confirmation": "Confirmez",
    "Error: The two entered values do not match.": "Erreur : les deux valeurs diffèrent.",
    "Error: invalid input": "Erreur : saisie invalide",
}

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


def _gettext(message: str) -> str:
    return FRENCH.get(message, gettext.gettext(message))


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def install_french_messages() -> None:
    """Make click speak French: its modules look their messages up through ``_`` and ``ngettext``
    (imported from ``gettext``, with no catalogue of their own); these names are rebound to ``FRENCH``."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
