"""Every ``esav`` command that reads or writes data refuses a folder holding no database, creating nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from gateway.cli import cli, main

#: Commands that build an instance, and so may create its database (a restore may be onto a new machine).
BUILDERS = {"demo", "pki initialiser", "integration servir", "base restaurer", "base migrer"}

#: One well-formed invocation of every other command taking ``--data`` (``{file}``: an existing file).
INVOCATIONS = {
    "audit": [],
    "wsdl enregistrer": [],
    "capacite liste": [],
    "capacite fixer": ["--zone", "75", "--type", "SAV", "--capacite", "3"],
    "catalogue annoncer": ["SIG_CUIVRE", "1.0"],
    "catalogue apercu": ["SIG_CUIVRE", "1.0"],
    "catalogue publier": [],
    "catalogue rappeler": [],
    "certificats expirant": [],
    "certificats emettre": ["OPE001"],
    "certificats liste": [],
    "certificats renouveler": ["OPE001"],
    "certificats enregistrer": ["OPE001", "{file}"],
    "certificats revoquer": ["00" * 32],
    "incidents declarer": ["--commune", "75111", "--impact", "COUPURE", "--description", "x"],
    "incidents liste": [],
    "incidents modifier": ["INC00000001", "--statut", "CLOS"],
    "integration campagne": ["OPE001"],
    "integration journal": ["OPE001"],
    "integration reinitialiser": ["OPE001"],
    "maintenance declarer": ["--debut", "2030-01-10T10:00", "--fin", "2030-01-10T11:00", "--motif", "x"],
    "maintenance liste": [],
    "courriel ajouter": ["OPE001", "sav@ope001.example", "--liste", "contrat"],
    "courriel adresses": [],
    "courriel file": [],
    "courriel retirer": ["OPE001", "sav@ope001.example", "--liste", "contrat"],
    "courriel relancer": ["1"],
    "courriel envoyer": [],
    "courriel afficher": ["1"],
    "notifications file": [],
    "notifications liste": [],
    "notifications enregistrer": ["OPE001", "--url", "https://localhost:1/x"],
    "notifications supprimer": ["OPE001"],
    "notifications rejouer": ["OPE001", "--depuis", "0"],
    "operateurs ajouter": ["OPE010", "Opérateur Delta"],
    "operateurs liste": [],
    "operateurs retablir": ["OPE001", "--motif", "x"],
    "operateurs suspendre": ["OPE001", "--motif", "x"],
    "operateurs modifier": ["OPE001", "--nom", "X"],
    "operateurs valider": ["--attestation", "{file}"],
    "portail abonnements": [],
    "portail activer": ["ABO00000001", "--date", "2030-01-10", "--acces", "INTEGRE"],
    "portail agents ajouter": ["paul.agent", "--nom", "Paul", "--mot-de-passe", "Agent-Paul-2026!"],
    "portail agents liste": [],
    "portail agents roles": ["paul.agent"],
    "portail agents statut": ["paul.agent", "--suspendu"],
    "portail contrat": ["OPE001", "FTTH_ACCES", "--reference", "CT-1", "--date", "2030-01-10"],
    "portail enregistrer": ["OPE001"],
    "portail facture": ["OPE001", "{file}", "--numero", "F1", "--date", "2030-01-10", "--montant", "1.00"],
    "portail faq": ["--question", "Q ?", "--reponse", "R."],
    "portail fin-contrat": ["OPE001", "FTTH_ACCES", "--date", "2030-01-10"],
    "portail lancement": ["FTTH_ACCES", "--date", "2030-01-10"],
    "portail lancements": [],
    "portail fichier": ["OPE001", "{file}"],
    "portail fichiers telecharger": ["1"],
    "portail fichiers liste": [],
    "portail publier": ["--type", "ACTUALITE", "--titre", "T", "--texte", "x"],
    "portail resilier": ["ABO00000001"],
    "prestations importer": ["{file}"],
    "prestations liste": [],
    "prestations transferer": ["0140000001", "--vers", "OPE002", "--motif", "x"],
    "quota lever": ["OPE001"],
    "quota liste": [],
    "quota fixer": ["OPE001", "--par-minute", "10", "--annonce", "x"],
    "sav archiver": ["SIG00000001"],
    "sav clore": ["SIG00000001", "--code", "RESOLU"],
    "sav commenter": ["SIG00000001", "texte"],
    "sav geler": ["SIG00000001", "--code", "ATTENTE_ACCES_SITE"],
    "base sauvegarder": ["copie.db"],
    "base statut": [],
    "sav liste": ["OPE001"],
    "sav qualifier": ["SIG00000001"],
    "sav rejeter": ["SIG00000001", "--code", "DEMANDE_INCOMPLETE"],
    "sav reprendre": ["SIG00000001"],
    "sav afficher": ["SIG00000001"],
    "sav demarrer": ["SIG00000001"],
    "sav balayer": [],
    "sav valider": ["SIG00000001"],
    "servir": ["--port", "0", "--port-web", "0"],
    "stats": [],
    "travaux declarer": [
        "--commune",
        "75111",
        "--debut",
        "2030-01-10T10:00",
        "--fin",
        "2030-01-10T11:00",
        "--impact",
        "COUPURE",
        "--description",
        "x",
    ],
    "travaux liste": [],
    "travaux modifier": ["TRV00000001", "--statut", "CLOS"],
}


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        ctx = click.Context(command)  # a group's commands are imported when asked for
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), (*path, name))
    else:
        yield " ".join(path), command


DATA_COMMANDS = {path for path, command in _walk(cli) if any(p.name == "data_dir" for p in command.params)}


def test_every_data_command_is_covered():
    """Each command taking ``--data`` is either a builder or listed here: a new command cannot slip through."""
    assert set(INVOCATIONS) | BUILDERS == DATA_COMMANDS


@pytest.mark.parametrize("command", sorted(INVOCATIONS))
@pytest.mark.parametrize("folder_exists", [True, False], ids=["empty-folder", "no-folder"])
def test_command_refuses_a_folder_without_database(tmp_path, capsys, command, folder_exists):
    """The command exits non-zero naming the folder, and the folder stays as it was (no database, no file)."""
    given = tmp_path / "given.txt"
    given.write_text("identifiantPrestation;operateur\n", encoding="utf-8")
    data = tmp_path / "data"
    if folder_exists:
        data.mkdir()
    argv = [
        *command.split(),
        "--donnees",
        str(data),
        *(str(given) if a == "{file}" else a for a in INVOCATIONS[command]),
    ]
    capsys.readouterr()
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 1, err
    assert f"Aucune base e-SAV dans {data}" in err
    assert "Traceback" not in err
    assert (sorted(data.iterdir()) == []) if folder_exists else not data.exists()


def test_pki_init_creates_the_database_then_commands_work(tmp_path, capsys):
    """``pki init`` creates the instance (PKI and an empty database): ``operators list`` then answers."""
    data = tmp_path / "data"
    assert main(["pki", "initialiser", "--donnees", str(data)]) == 0
    assert (data / "esav.db").is_file()
    assert main(["operateurs", "liste", "--donnees", str(data)]) == 0


@pytest.mark.e2e  # runs an esav process
def test_sav_list_in_a_subprocess_refuses_a_mistyped_folder(tmp_path):
    """``esav sav liste`` on a folder with no database exits 1 naming it, instead of "0 signalisation(s)"."""
    data = tmp_path / "mistyped"
    env = dict(os.environ)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("esav")), "sav", "list", "OPE001", "--donnees", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Aucune base e-SAV dans {data}" in done.stderr
    assert "signalisation(s)" not in done.stdout
    assert not data.exists()
