"""The portal's "Évolutions" page: each operator sees the announced SIG_CUIVRE 2.0 against its own deposits
only (over HTTPS and in headless Chromium), cached for the day and recomputed on demand; the provider's
page lists the operators not ready."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from preview_support import (
    NEW_FIELD,
    NOW,
    PRODUCTION,
    REMOVED_CODE,
    add_cuivre_2_0,
    copy_catalogue,
    cuivre_form,
    deposit_cuivre,
    deposit_mix,
)
from support import REPO, SessionPki, eventually, in_reactor, start_gateway
from web_support import ADMIN, signed_in

from gateway.services import ADMINISTRATOR, WRITE

BETA = ("admin.beta", "Beta-Admin-2026!")
AGENT = ("agent.sav", "Fournisseur-SAV-2026!")


@pytest.fixture
def announced(tmp_path: Path, session_pki: SessionPki) -> Iterator[Any]:
    """A gateway and its portal, the mix of deposits under 1.0, then SIG_CUIVRE 2.0 published; OPE002 gets
    a portal administrator of its own."""
    served = copy_catalogue(tmp_path / "catalogue")
    live = start_gateway(tmp_path / "data", session_pki, NOW, catalogue_dir=served, web=True)
    try:
        deposits = deposit_mix(live)
        add_cuivre_2_0(served)
        with live.gateway.store.write() as tx:
            tx.catalogue.record_publication(author="test", fingerprint="x", at=NOW)
        live.gateway.refresh_catalogue()  # the gateway's own poll (every second) may have loaded it already
        live.gateway.accounts.create_user(
            None, "OPE002", BETA[0], "Administrateur Beta", BETA[1], role=ADMINISTRATOR,
            eservices=frozenset({"ESAV", "ACTUALITES"}),
            offers={"CUIVRE_DEGROUPAGE": WRITE, "FTTH_ACCES": WRITE},
        )  # fmt: skip
        yield live, deposits
    finally:
        live.stop()


def text_of(html: str) -> str:
    """The page's text: tags removed, entities and no-break spaces as plain characters."""
    return unescape(re.sub(r"<[^>]+>", "", html)).replace("\u00a0", " ")


def own_refs(deposits: dict[str, list[tuple[str, bool, str]]], operator: str) -> list[str]:
    return [reference for reference, _, _ in deposits[operator]]


def test_each_operator_sees_its_own_preview_and_nothing_of_another(announced):
    """OPE001 and OPE002 each see their own counts, errors, samples and example; never the other's references."""
    live, deposits = announced
    alpha = text_of(signed_in(live, ADMIN).get("/evolutions").text)
    beta = text_of(signed_in(live, BETA).get("/evolutions").text)
    assert "SIG_CUIVRE version 2.0" in alpha and f"{PRODUCTION:%d/%m/%Y} à 00:00" in alpha
    assert "Sur vos 5 dépôts des 30 derniers jours, 3 seraient refusés par la version 2.0" in alpha
    assert "Sur vos 3 dépôts des 30 derniers jours, 2 seraient refusés par la version 2.0" in beta
    assert f"attendu : {NEW_FIELD}" in alpha and f"« {REMOVED_CODE} »" in beta
    assert f"&lt;{NEW_FIELD}&gt;" in signed_in(live, ADMIN).get("/evolutions").text  # the example, as text
    assert "À CORRIGER" in alpha and "À CORRIGER" in beta
    first_missing = next(r for r, availability, _ in deposits["OPE001"] if availability)
    assert f"votre dépôt {first_missing}" in alpha
    assert not any(r in beta for r in own_refs(deposits, "OPE001"))
    assert not any(r in alpha for r in own_refs(deposits, "OPE002"))
    assert "Évolutions" in alpha  # in the menu


def test_preview_is_kept_for_the_day_and_recomputed_on_demand(announced):
    """A deposit made after the day's preview shows only once the user asks for a new computation."""
    live, _ = announced
    browser = signed_in(live, BETA)
    assert "Sur vos 3 dépôts" in text_of(browser.get("/evolutions").text)
    deposit_cuivre(live.client("OPE002"), "OPE002", cuivre_form(availability=False, code=REMOVED_CODE))
    assert "Sur vos 3 dépôts" in text_of(browser.get("/evolutions").text)  # the day's preview, kept
    answer = browser.post("/evolutions/actualiser", {}, form_page="/evolutions")
    page = text_of(answer.text)
    assert answer.status_code == 200 and "Aperçu recalculé." in page
    assert "Sur vos 4 dépôts des 30 derniers jours, 3 seraient refusés" in page
    assert browser.http.post(live.web_url + "/evolutions/actualiser", data={}).status_code == 403  # no CSRF token


def test_provider_page_lists_operators_not_ready_and_is_closed_to_operators(announced):
    """/fournisseur/evolutions shows each operator's counts and who is not ready; an operator's user gets 404."""
    live, _ = announced
    page = text_of(signed_in(live, AGENT, lands_on="/fournisseur").get("/fournisseur/evolutions").text)
    assert "SIG_CUIVRE version 2.0" in page
    assert "Opérateurs pas prêts : OPE001, OPE002." in page
    assert "8 dépôt(s) examiné(s), 5 serai(en)t refusé(s)" in page
    assert signed_in(live, ADMIN).get("/fournisseur/evolutions").status_code == 404


@pytest.mark.slow
def test_evolutions_page_in_chromium(announced, chromium):
    """In Chromium, OPE001's administrator opens Évolutions from the menu, reads its figures and recomputes them."""
    live, deposits = announced
    context = chromium.new_context(ignore_https_errors=True, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(live.web_url + "/")
        page.get_by_label("Identifiant").fill(ADMIN[0])
        page.get_by_label("Mot de passe").fill(ADMIN[1])
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("link", name="Évolutions", exact=True).click()
        section = page.locator("section.evolution[data-formulaire='SIG_CUIVRE']")
        assert "Sur vos 5 dépôts des 30 derniers jours, 3 seraient refusés" in section.locator(
            ".apercu"
        ).inner_text().replace("\u00a0", " ")
        rows = section.locator("table.erreurs tbody tr")
        assert rows.count() == 2
        samples = set(rows.locator("td:nth-child(4)").all_inner_texts())
        assert samples <= set(own_refs(deposits, "OPE001"))
        page.get_by_role("button", name="Recalculer maintenant").click()
        page.get_by_text("Aperçu recalculé.").wait_for()
        shots = REPO / "artifacts" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "evolutions.png"), full_page=True)
    finally:
        context.close()


def test_the_days_previews_are_computed_in_the_background(announced):
    """The server's hourly task computes each operator's preview once a day; the page reads what it kept."""
    live, _ = announced
    previews = live.gateway.form_previews
    assert previews.refresh_day() == 3  # SIG_CUIVRE 2.0 for OPE001, OPE002 and OPE003
    assert previews.refresh_day() == 0
    deposit_cuivre(live.client("OPE002"), "OPE002", cuivre_form(availability=False, code=REMOVED_CODE))
    assert "Sur vos 3 dépôts" in text_of(signed_in(live, BETA).get("/evolutions").text)
    live.clock.advance(timedelta(days=1))
    assert previews.refresh_day() == 3
    assert "Sur vos 4 dépôts des 30 derniers jours, 3 seraient refusés" in text_of(
        signed_in(live, BETA).get("/evolutions").text
    )


def test_an_agent_announces_the_version_from_the_readiness_page(announced):
    """The agent's "Annoncer" button queues each concerned operator's own notice; a too-short notice is refused."""
    live, _ = announced
    live.clock.set(NOW + timedelta(days=40))  # 2.0 is then less than six months away
    agent = signed_in(live, AGENT, lands_on="/fournisseur")
    refused = agent.post("/fournisseur/evolutions/annoncer", {"formulaire": "SIG_CUIVRE", "version": "2.0"},
                         form_page="/fournisseur/evolutions")  # fmt: skip
    assert refused.status_code == 422 and "Préavis insuffisant" in text_of(refused.text)
    live.clock.set(NOW)
    agent = signed_in(live, AGENT, lands_on="/fournisseur")
    answer = agent.post("/fournisseur/evolutions/annoncer", {"formulaire": "SIG_CUIVRE", "version": "2.0",
                        "texte": "Voir la documentation."}, form_page="/fournisseur/evolutions")  # fmt: skip
    assert answer.status_code == 200 and "L'annonce est publiée" in text_of(answer.text)
    queued = [m for m in live.gateway.mail.outbox() if "SIG_CUIVRE" in m.subject]
    assert sorted(m.operator_code for m in queued) == ["OPE001", "OPE002"]
    beta = next(m for m in queued if m.operator_code == "OPE002").text_body
    assert "Sur vos 3 dépôts des 30 derniers jours, 2 seraient refusés" in beta and "Voir la documentation." in beta
    assert [a for a in live.gateway.store.audit(actor="agent/agent.sav") if a.action == "catalogue.annonce"]


def test_the_leaders_hourly_task_computes_previews_off_the_reactor_thread(announced, monkeypatch):
    """The server's form-preview task runs in the reactor's thread pool: the previews of the day get kept."""
    live, _ = announced
    ran_in: list[str] = []
    refresh_day = live.gateway.form_previews.refresh_day

    def recording() -> int:
        ran_in.append(threading.current_thread().name)
        return refresh_day()

    monkeypatch.setattr(live.gateway.form_previews, "refresh_day", recording)
    task = live.running.background.form_previews
    in_reactor(task.f)
    assert eventually(lambda: live.gateway.store.cached_preview("OPE002", "SIG_CUIVRE", "2.0"), timeout=20)
    assert ran_in and ran_in[0] != "reactor"
