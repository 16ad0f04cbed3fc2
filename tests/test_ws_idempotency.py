"""referenceOperateur is an idempotency key: retries return the same receipt, never a second ticket."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import zeep
from support import deposit, fault_code


def test_same_key_returns_same_reference(live):
    """A retried deposit with the same referenceOperateur and content returns the first reference."""
    client = live.client()
    first = deposit(client, referenceOperateur="OC-42")
    second = deposit(client, referenceOperateur="OC-42")
    assert second.referenceSignalisation == first.referenceSignalisation
    assert second.dateDepot == first.dateDepot


def test_same_key_other_content_is_doublon(live):
    """The same referenceOperateur with another content is refused with DOUBLON."""
    client = live.client()
    first = deposit(client, referenceOperateur="OC-43")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit(client, referenceOperateur="OC-43", gravite="CRITIQUE")
    assert fault_code(caught.value) == "DOUBLON"
    assert first.referenceSignalisation in caught.value.message


def test_keys_are_per_operator(live):
    """Two operators may use the same referenceOperateur independently."""
    mine = deposit(live.client("OPE001"), referenceOperateur="COMMUN-1")
    theirs = live.client("OPE002").service.deposerSignalisation(
        referenceOperateur="COMMUN-1",
        identifiantPrestation="0140000002",
        codeOffre="CUIVRE_DEGROUPAGE",
        gravite="MAJEURE",
        formulaire=mine_form(),
    )
    assert theirs.referenceSignalisation != mine.referenceSignalisation


def mine_form():
    from support import example_form

    return {"code": "SIG_CUIVRE", "version": "1.0", "_value_1": example_form("SIG_CUIVRE")}


def test_twenty_concurrent_deposits_with_one_key_make_one_ticket(live_any):
    """Twenty deposits racing with one key, on twenty connections, all get the same single reference."""
    clients = [live_any.client() for _ in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda c: deposit(c, referenceOperateur="OC-RACE"), clients))
    assert len({a.referenceSignalisation for a in answers}) == 1
    count = live_any.gateway.store._db.conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE reference_operateur = 'OC-RACE'"
    ).fetchone()[0]
    assert count == 1
