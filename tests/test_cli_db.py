"""``esav base sauvegarder|restaurer``: an online backup of the store and its restore, driven through ``main(argv)``."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from support import LiveGateway, deposit, esav_demo_copy
from test_cli import assert_refused, esav

from gateway.store import MIGRATIONS


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once for the module by ``esav demo``; tests work on copies."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    esav_demo_copy(folder)
    return folder


@pytest.fixture
def data(tmp_path: Path, demo_data: Path) -> Path:
    """A private copy of the demo data folder."""
    shutil.copytree(demo_data, tmp_path / "data")
    return tmp_path / "data"


def _tickets(database: Path) -> set[str]:
    with closing(sqlite3.connect(database)) as conn:
        return {row[0] for row in conn.execute("SELECT reference FROM tickets")}


@pytest.mark.sqlite_file
def test_backup_of_a_serving_gateway_restores_on_a_new_data_folder(
    live: LiveGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup taken while the gateway serves holds the tickets acknowledged before it, not those after;
    restored into an empty data folder, the back office finds them there."""
    client = live.client()
    before = deposit(client).referenceSignalisation
    status, out, err = esav(capsys, "base", "sauvegarder", tmp_path / "copy.db", "--donnees", live.data_dir)
    assert status == 0, err
    assert f"{tmp_path / 'copy.db'} (" in out and f"migration {max(n for n, _, _ in MIGRATIONS)}" in out
    after = deposit(client).referenceSignalisation
    assert not (tmp_path / "copy.db-wal").exists()  # one self-contained file

    status, out, err = esav(capsys, "base", "restaurer", tmp_path / "copy.db", "--donnees", tmp_path / "new")
    assert status == 0, err
    assert "Ancienne base" not in out
    assert before in _tickets(tmp_path / "new" / "esav.db") and after not in _tickets(tmp_path / "new" / "esav.db")
    status, out, _ = esav(capsys, "sav", "afficher", before, "--donnees", tmp_path / "new")
    assert status == 0 and before in out


def test_backup_does_not_wait_for_a_writer_and_restore_waits_for_the_services_to_stop(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A write transaction in progress neither blocks the backup nor enters it; a restore is refused while
    another process has the database open, then replaces it, keeps the old one aside and is audited."""
    database = data / "esav.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE operators SET name = 'pas encore validé' WHERE code = 'OPE001'")
    try:
        status, _, err = esav(capsys, "base", "sauvegarder", tmp_path / "copy.db", "--donnees", data)
        assert status == 0, err
        writer.execute("COMMIT")
        assert_refused(*esav(capsys, "base", "restaurer", tmp_path / "copy.db", "--donnees", data), "REQUETE_INVALIDE")
    finally:
        writer.close()
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("SELECT name FROM operators WHERE code = 'OPE001'").fetchone()[0] != "pas encore validé"

    status, out, err = esav(capsys, "base", "restaurer", tmp_path / "copy.db", "--donnees", data)
    assert status == 0, err
    (aside,) = data.glob("esav.db.avant-restauration-*Z")
    assert f"Ancienne base gardée : {aside}" in out
    with closing(sqlite3.connect(aside)) as old, closing(sqlite3.connect(database)) as new:
        assert old.execute("SELECT name FROM operators WHERE code = 'OPE001'").fetchone()[0] == "pas encore validé"
        assert new.execute("SELECT name FROM operators WHERE code = 'OPE001'").fetchone()[0] != "pas encore validé"
        (action, target, details) = new.execute(
            "SELECT action, target, details FROM audit ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert (action, target) == ("stockage.restauration", "esav.db")
    assert json.loads(details)["ancienne_base"] == str(aside)


def test_restore_is_refused_while_a_server_holds_the_database(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the database open elsewhere (a running service), restore exits 1 asking to stop the services."""
    assert esav(capsys, "base", "sauvegarder", tmp_path / "copy.db", "--donnees", data)[0] == 0
    with closing(sqlite3.connect(data / "esav.db")) as server:
        server.execute("SELECT count(*) FROM tickets").fetchone()
        status, out, err = esav(capsys, "base", "restaurer", tmp_path / "copy.db", "--donnees", data)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert "ouverte par un autre processus : arrêtez les services e-SAV" in err
    assert not list(data.glob("esav.db.avant-restauration-*"))


def test_bad_backup_files_are_refused_with_a_clear_message(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing target, a missing file, a file that is not an e-SAV database and a backup of a newer
    version are refused naming the file; the data folder is left as it was."""
    existing = tmp_path / "existing.db"
    existing.write_text("garder")
    status, out, err = esav(capsys, "base", "sauvegarder", existing, "--donnees", data)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert f"{existing} existe déjà" in err and existing.read_text() == "garder"

    status, out, err = esav(capsys, "base", "restaurer", tmp_path / "absent.db", "--donnees", data)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert "absent.db : fichier introuvable" in err

    status, out, err = esav(capsys, "base", "restaurer", existing, "--donnees", data)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert f"{existing} : pas une base e-SAV" in err

    newer = tmp_path / "newer.db"
    assert esav(capsys, "base", "sauvegarder", newer, "--donnees", data)[0] == 0
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute("INSERT INTO schema_migrations (id, name, applied_at) VALUES (9999, 'futur', 'x')")
        conn.commit()
    status, out, err = esav(capsys, "base", "restaurer", newer, "--donnees", data)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert "sauvegarde d'une version plus récente (migration 9999" in err
    assert not list(data.glob("esav.db.*restauration*"))
