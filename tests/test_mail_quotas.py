"""Rate limits are announced the day before: published on the operator's portal and mailed to it; an
emergency limit needs an explicit flag and a reason, both audited, and is mailed at once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support import CATALOGUE, DEFAULT_NOW, PARIS, SessionPki, demo_template, suite_now
from web_support import ADMIN, signed_in

from gateway.cli import main
from gateway.domain.clock import FixedClock, to_paris
from gateway.errors import InvalidRequestError, RateLimitError
from gateway.services import Gateway

TOMORROW = datetime(2026, 11, 19, 0, 0, tzinfo=PARIS)  # DEFAULT_NOW is Wednesday 18/11/2026 10:00


@pytest.fixture
def gateway(tmp_path: Path, session_pki: SessionPki) -> Iterator[Gateway]:
    """The demo data with a clock at DEFAULT_NOW, no server."""
    shutil.copytree(demo_template(session_pki, DEFAULT_NOW, CATALOGUE), tmp_path / "data")
    opened = Gateway.open(tmp_path / "data" / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(DEFAULT_NOW))
    opened.mail.add_address("OPE001", "quotas", "capacite@alpha.example", author="test")
    try:
        yield opened
    finally:
        opened.close()


def test_a_limit_starts_the_next_day_and_is_published_and_mailed_the_day_before(gateway):
    """A limit set today starts tomorrow 00:00 Paris, published for its operator and mailed to it."""
    record = gateway.rate_limits.set_limit("OPE001", 120, actor="test", announcement="Surcharge du service.")
    assert record.effective_from == TOMORROW
    [mail] = gateway.mail.for_cause(f"quota/{record.id}")
    assert mail.operator_code == "OPE001" and mail.topic == "quotas"
    assert mail.recipients == ("esav@alpha.example", "capacite@alpha.example")
    assert mail.subject == "[e-SAV] Limitation du nombre de requêtes : 120 par minute"
    assert "à partir du 19/11/2026 à 00:00 (heure de Paris)" in mail.text_body
    assert "Surcharge du service." in mail.text_body and "LIMITE_REQUETES" in mail.html_body
    [news] = [n for n in gateway.portal.all_news() if n.kind == "LIMITATION_REQUETES"]
    assert (news.operator_code, news.starts_at, news.title) == (
        "OPE001",
        TOMORROW,
        "Limitation à 120 requêtes par minute",
    )


def test_a_limit_does_not_apply_before_the_next_day(gateway):
    """Announced on Wednesday, a limit of one request per minute lets every call through until Thursday 00:00."""
    gateway.rate_limits.set_limit("OPE001", 1, actor="test", announcement="Une requête par minute.")
    clock = gateway.clock
    assert isinstance(clock, FixedClock)
    clock.set(TOMORROW - timedelta(minutes=1))
    for _ in range(3):
        gateway.rate_limits.check("OPE001")
    clock.set(TOMORROW)
    gateway.rate_limits.check("OPE001")
    with pytest.raises(RateLimitError):
        gateway.rate_limits.check("OPE001")


def test_a_limit_starting_the_same_day_is_refused_naming_the_earliest_start(gateway):
    """A limit for later today is refused naming tomorrow 00:00; nothing is recorded, published or mailed."""
    before = (len(gateway.rate_limits.limits()), len(gateway.mail.outbox()), len(gateway.portal.all_news()))
    with pytest.raises(InvalidRequestError, match="au plus tôt le 19/11/2026 à 00:00") as refused:
        gateway.rate_limits.set_limit(
            "OPE001", 10, actor="test", announcement="x", effective_from=TOMORROW - timedelta(minutes=1)
        )
    assert refused.value.valeur == "2026-11-19T00:00+01:00"
    after = (len(gateway.rate_limits.limits()), len(gateway.mail.outbox()), len(gateway.portal.all_news()))
    assert after == before


def test_an_emergency_limit_needs_its_reason_applies_at_once_and_is_audited_and_mailed(gateway):
    """An emergency limit needs a reason; it applies at once, audited with the reason, and says so in the mail."""
    with pytest.raises(InvalidRequestError, match="doit donner son motif"):
        gateway.rate_limits.set_limit("OPE001", 10, actor="test", announcement="x", emergency_reason="  ")
    record = gateway.rate_limits.set_limit(
        "OPE001", 10, actor="fournisseur/exploitant", announcement="Limitation immédiate.",
        emergency_reason="saturation de la base de données",
    )  # fmt: skip
    assert record.effective_from == DEFAULT_NOW
    [entry] = [a for a in gateway.store.audit() if a.action == "quota.set"]
    assert entry.actor == "fournisseur/exploitant"
    assert entry.details["urgence"] is True and entry.details["motif_urgence"] == "saturation de la base de données"
    [mail] = gateway.mail.for_cause(f"quota/{record.id}")
    assert "appliquée en urgence" in mail.text_body and "saturation de la base de données" in mail.text_body


def _esav(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_quota_set_announces_the_day_before_or_needs_urgence_and_motif(gateway, capsys):
    """esav quota fixer starts tomorrow by default, refuses today, and needs --motif with --urgence."""
    data = str(gateway.store.path.parent)
    gateway.close()
    tomorrow = (to_paris(suite_now()) + timedelta(days=1)).date()
    status, out, err = _esav(capsys, "quota", "fixer", "OPE002", "--par-minute", "50", "--annonce", "Surcharge.",
                             "--donnees", data)  # fmt: skip
    assert status == 0, err
    assert f"50 requêtes/minute à partir du {tomorrow:%d/%m/%Y} 00:00" in out
    soon = to_paris(suite_now()) + timedelta(minutes=5)
    status, out, err = _esav(capsys, "quota", "fixer", "OPE002", "--par-minute", "50", "--annonce", "x",
                             "--a-partir-de", f"{soon:%Y-%m-%dT%H:%M}", "--donnees", data)  # fmt: skip
    if soon.date() < tomorrow:  # five minutes before midnight, "soon" is already tomorrow
        assert status == 1 and f"au plus tôt le {tomorrow:%d/%m/%Y} à 00:00" in err and "Traceback" not in err
    status, _, err = _esav(capsys, "quota", "fixer", "OPE002", "--par-minute", "5", "--annonce", "x", "--urgence",
                           "--donnees", data)  # fmt: skip
    assert status == 2 and "--urgence exige --motif" in err
    status, out, err = _esav(capsys, "quota", "fixer", "OPE002", "--par-minute", "5", "--annonce", "Immédiat.",
                             "--urgence", "--motif", "incident majeur", "--donnees", data)  # fmt: skip
    assert status == 0, err
    status, out, _ = _esav(capsys, "courriel", "file", "--operateur", "OPE002", "--donnees", data)
    assert out.count("Limitation du nombre de requêtes") == 2


def test_the_limit_is_shown_on_its_operators_portal_only(portal):
    """A limit of OPE002 is not shown to OPE001's users; OPE001's own is, with its start."""
    portal.gateway.rate_limits.set_limit("OPE002", 30, actor="test", announcement="Limite de Beta.")
    portal.gateway.rate_limits.set_limit("OPE001", 60, actor="test", announcement="Limite d'Alpha.")
    page = signed_in(portal, ADMIN).get("/actualites").text
    assert "Limite d&#39;Alpha." in page and "Limitation à 60 requêtes par minute" in page
    assert "Limite de Beta." not in page
