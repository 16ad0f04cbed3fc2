"""``esav db status`` and ``esav db migrate`` on both engines."""

from __future__ import annotations

from pathlib import Path

from gateway.cli import main
from gateway.store import MIGRATIONS, Store


def test_status_lists_pending_migrations_then_migrate_applies_them_once(store_url, tmp_path, capsys):
    """An empty database shows every migration pending; migrate applies them all; a second run applies none."""
    if store_url.startswith("sqlite:///"):
        Path(store_url[len("sqlite:///") :]).touch()  # an empty SQLite database
    assert main(["base", "statut", "--base", store_url, "--donnees", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"0 migration(s) appliquée(s), {len(MIGRATIONS)} en attente" in out
    assert main(["base", "migrer", "--base", store_url, "--donnees", str(tmp_path)]) == 0
    assert "migration(s) appliquée(s) : 1, 2, 3" in capsys.readouterr().out
    assert main(["base", "migrer", "--base", store_url, "--donnees", str(tmp_path)]) == 0
    assert "aucune migration à appliquer" in capsys.readouterr().out
    assert main(["base", "statut", "--base", store_url, "--donnees", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(MIGRATIONS)} migration(s) appliquée(s), 0 en attente" in out and "EN ATTENTE" not in out
    store = Store(store_url)
    try:
        assert store.applied_migrations() == {number for number, _, _ in MIGRATIONS}
    finally:
        store.close()


def test_backup_of_a_postgresql_store_points_to_the_servers_tools(tmp_path, capsys):
    """``esav db backup`` on a PostgreSQL URL says to use pg_dump instead of failing obscurely."""
    status = main(["base", "sauvegarder", str(tmp_path / "b.db"), "--base", "postgresql://esav@127.0.0.1:1/esav"])
    assert status == 1 and "pg_dump" in capsys.readouterr().err


def test_an_unknown_store_url_is_refused_naming_the_setting(capsys):
    """A URL of another engine is refused with a message naming store_url, not a traceback."""
    assert main(["base", "statut", "--base", "mysql://x@y/z"]) == 1
    err = capsys.readouterr().err
    assert "store_url" in err and "Traceback" not in err


def test_an_unreachable_postgresql_is_a_one_line_message_not_a_traceback(capsys):
    """A server that refuses the connection is named in one message, at once, with the cause; no traceback."""
    assert main(["base", "statut", "--base", "postgresql://esav:secret@127.0.0.1:1/esav"]) == 1
    err = capsys.readouterr().err
    assert "Base : PostgreSQL injoignable (postgresql://esav:***@127.0.0.1:1/esav)" in err
    assert "refused" in err.lower() or "refus" in err.lower()
    assert "Traceback" not in err and "secret" not in err
