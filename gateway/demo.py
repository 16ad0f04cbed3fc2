"""The demo data set (operators, prestations, PKI, portal accounts), built by the project's own command, identical each run.

Only keys and certificates differ between runs (they are generated). Building is idempotent: what
is there is kept, what is missing is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from gateway._demo_calendar import DEMO_REFERENCE_DAY, demo_versions, ensure_demo_calendar
from gateway.domain.clock import PARIS, to_paris
from gateway.domain.network_events import EventKind
from gateway.security import pki
from gateway.services import Gateway

__all__ = [
    "DEMO_AGENTS",
    "DEMO_OPERATORS",
    "DEMO_PRESTATIONS_CSV",
    "DEMO_REFERENCE_DAY",
    "DEMO_USERS",
    "DemoInfo",
    "build_demo",
    "demo_versions",
    "ensure_demo_calendar",
    "ensure_provider_pki",
]

# code, name, e-SAV en ligne, e-SAV intégré, validated domains
DEMO_OPERATORS = (
    ("OPE001", "Opérateur Alpha", True, True, ("signalisation", "test")),
    ("OPE002", "Opérateur Beta", False, True, ("signalisation",)),
    ("OPE003", "Opérateur Gamma", True, True, ()),
)

DEMO_PRESTATIONS_CSV = """\
identifiantPrestation;operateur;codeOffre;gtr;extremiteA;extremiteB;codeCommune;informationsComplementaires
FI-0001-0001;OPE001;FTTH_ACCES;STANDARD;PTO 12 rue des Lilas 75011 Paris;PM 75011-04;75111;
FI-0001-0002;OPE001;FTTH_ACCES;GTR_10HO;PTO 3 avenue Foch 69006 Lyon;PM 69006-01;69386;
0140000001;OPE001;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 75111;client 8 rue Oberkampf 75011 Paris;75111;
DSL0000001;OPE001;DSL_BITSTREAM;STANDARD;DSLAM 75111-2;client 8 rue Oberkampf 75011 Paris;75111;
LFO-000001;OPE001;FIBRE_LFO;GTR_4H;site A 1 place de la Bourse 33000 Bordeaux;site B 20 quai de Bacalan 33300 Bordeaux;33063;
ETH-000001;OPE001;ETHERNET_CE2O;GTR_4H;POP Lille-1;site 5 rue Nationale 59000 Lille;59350;
FI-0002-0001;OPE002;FTTH_ACCES;STANDARD;PTO 7 rue Paradis 13001 Marseille;PM 13001-02;13201;
0140000002;OPE002;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 13201;client 7 rue Paradis 13001 Marseille;13201;
FI-0003-0001;OPE003;FTTH_ACCES;STANDARD;PTO 1 rue Sainte-Catherine 33000 Bordeaux;PM 33063-01;33063;
"""


@dataclass(frozen=True)
class DemoInfo:
    pki_dir: Path
    ca: Path
    operator_certs: dict[str, tuple[Path, Path]]
    #: Portal users of the demo: login → password (documented, printed by the demo command).
    web_users: dict[str, str] = field(default_factory=dict)
    #: The provider's staff agents of the demo (pages /fournisseur): login → password.
    web_agents: dict[str, str] = field(default_factory=dict)


def ensure_provider_pki(
    pki_dir: Path, hostnames: tuple[str, ...] = ("localhost",), *, now: datetime | None = None
) -> pki.IssuedCertificate:
    """The provider CA and the server certificate, created once in ``pki_dir``, dated ``now`` (the
    gateway's clock; default: the system's)."""
    pki_dir.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = pki_dir / "ca.pem", pki_dir / "ca.key"
    if ca_cert.exists() and ca_key.exists():
        ca = pki.load_issued(ca_cert, ca_key)
    else:
        ca = pki.create_ca("e-SAV Demo Provider CA", now=now)
        pki.write_pem_files(ca, ca_cert, ca_key)
    if not (pki_dir / "server.pem").exists() or not (pki_dir / "server.key").exists():
        server = pki.issue_server_certificate(ca, hostnames, now=now)
        pki.write_pem_files(server, pki_dir / "server.pem", pki_dir / "server.key")
    if not (pki_dir / "notifier.pem").exists() or not (pki_dir / "notifier.key").exists():
        # The provider's client certificate for pushing notifications to operators' endpoints (§12).
        notifier = pki.issue_client_certificate(ca, "ESAV-NOTIFICATIONS", "e-SAV fournisseur", now=now)
        pki.write_pem_files(notifier, pki_dir / "notifier.pem", pki_dir / "notifier.key")
    return ca


def build_demo(gateway: Gateway, pki_dir: Path) -> DemoInfo:
    """Create whatever of the demo is missing: PKI, operators, prestations, operators' certificates."""
    ca = ensure_provider_pki(pki_dir, now=gateway.clock.now())
    known = {operator.code for operator in gateway.admin.list_operators()}
    for code, name, en_ligne, integre, domains in DEMO_OPERATORS:
        if code not in known:
            gateway.admin.add_operator(code, name, esav_en_ligne=en_ligne, esav_integre=integre, domains=domains)
    gateway.admin.import_prestations("prestations de démonstration", DEMO_PRESTATIONS_CSV)
    certs: dict[str, tuple[Path, Path]] = {}
    for code, *_ in DEMO_OPERATORS:
        cert_path, key_path = pki_dir / f"{code}.pem", pki_dir / f"{code}.key"
        if cert_path.exists() and key_path.exists():
            issued = pki.load_issued(cert_path, key_path)
            if issued.info.fingerprint not in {c.fingerprint for c in gateway.admin.list_certificates(code)}:
                gateway.admin.register_certificate(code, issued.cert_pem, [ca.cert_pem])
        else:
            issued = gateway.admin.issue_certificate(code, ca)
            pki.write_pem_files(issued, cert_path, key_path)
        certs[code] = (cert_path, key_path)
    _build_demo_appointments_and_works(gateway)
    _build_demo_users(gateway)
    _build_demo_mail_addresses(gateway)  # before the portal's notices, which are mailed to them
    _build_demo_portal(gateway)
    _build_demo_agents(gateway)
    return DemoInfo(
        pki_dir,
        pki_dir / "ca.pem",
        certs,
        {login: pw for login, _, pw, *_ in DEMO_USERS},
        {login: pw for login, _, pw in DEMO_AGENTS},
    )


# Technicians per slot of the day, per zone and intervention type (``esav capacite fixer`` changes them).
DEMO_CAPACITIES = {"SAV": 4, "SAV_PLUS": 2, "EXPERTISE": 1}
DEMO_ZONES = ("75", "69", "33", "59", "13")

# Planned works and incidents, dated relative to the day the demo is built (Paris midnight): the same
# data for every build of a day, and "current" whenever it is built. Days, hours from that midnight.
# reference, kind, commune, start (day, hour), end (day, hour) or None, impact, description
# fmt: off
DEMO_NETWORK_EVENTS = (
    ("TP-DEMO-0001", "TRAVAUX", "75111", (-2, 8), (12, 18), "INTERMITTENT", "Remplacement du PM 75011-04 (rue des Lilas) : coupures de 30 minutes au plus entre 9 h et 17 h."),
    ("TP-DEMO-0002", "TRAVAUX", "33063", (7, 22), (8, 5), "COUPURE", "Migration du cœur de réseau de Bordeaux : coupure de nuit."),
    ("INC-DEMO-0001", "INCIDENT", "75111", (-1, 18), None, "DEGRADATION", "Câble de transport endommagé rue Oberkampf par des travaux de voirie : débits réduits."),
)
# fmt: on


def _build_demo_appointments_and_works(gateway: Gateway) -> None:
    """Capacities of the demo zones, and planned works and incidents in Paris 11e and Bordeaux, not Lyon."""
    have = {(c.zone, c.intervention_type) for c in gateway.capacities.capacities()}
    for zone in DEMO_ZONES:
        for kind, technicians in DEMO_CAPACITIES.items():
            if (zone, kind) not in have:
                gateway.capacities.set_capacity(zone, kind, technicians, author="démonstration")
    midnight = datetime.combine(to_paris(gateway.clock.now()).date(), time(0), tzinfo=PARIS)

    def at(day_hour: tuple[int, int]) -> datetime:
        day, hour = day_hour
        return datetime.combine(midnight.date() + timedelta(days=day), time(hour), tzinfo=PARIS)

    declared = {event.reference for event in gateway.network_events.events()}
    for reference, kind, commune, start, end, impact, description in DEMO_NETWORK_EVENTS:
        if reference not in declared:
            gateway.network_events.declare(
                EventKind(kind),
                code_commune=commune,
                start=at(start),
                end=at(end) if end else None,
                impact=impact,
                description=description,
                author="démonstration",
                declared_at=midnight - timedelta(days=10) if kind == "TRAVAUX" else at(start),
                reference=reference,
            )


# Portal users of OPE001: login, name, password (fixed and documented: a demo, not a secret),
# role, e-services, offers → LECTURE/ECRITURE. tech.alpha reads and writes copper, DSL and Ethernet
# tickets, reads FTTH ones, does not see dedicated fibre (LFO) at all, nor the invoice duplicates.
DEMO_USERS: tuple[tuple[str, str, str, str, tuple[str, ...], dict[str, str]], ...] = (
    ("admin.alpha", "Alice Admin (Alpha)", "Alpha-Admin-2026!", "ADMINISTRATEUR", (), {}),
    (
        "tech.alpha",
        "Thomas Tech (Alpha)",
        "Alpha-Tech-2026!",
        "UTILISATEUR",
        ("ESAV", "DOCUMENTS", "ACTUALITES", "CONTRATS", "FICHIERS"),
        {
            "CUIVRE_DEGROUPAGE": "ECRITURE",
            "DSL_BITSTREAM": "ECRITURE",
            "ETHERNET_CE2O": "ECRITURE",
            "FTTH_ACCES": "LECTURE",
        },
    ),
)


def _build_demo_users(gateway: Gateway) -> None:
    for login, name, password, role, eservices, offers in DEMO_USERS:
        if not gateway.accounts.login_taken(login):
            gateway.accounts.create_user(
                None, "OPE001", login, name, password, role=role, eservices=frozenset(eservices), offers=dict(offers)
            )


# Portal content (Espace Opérateurs): kind, title, body, offer (None: all), days from the build day to
# the announced event (None: no event).
DEMO_NEWS = (
    (
        "ACTUALITE",
        "Ouverture d'e-SAV en ligne",
        "Les signalisations cuivre, DSL, LFO et Ethernet se déposent "
        "désormais depuis l'Espace Opérateurs ; les signalisations FTTH restent réservées aux web services.",
        None,
        None,
    ),
    (
        "OFFRE_REFERENCE",
        "Offre de référence FTTH : nouvelle version",
        "La version 2.0 du formulaire SIG_FTTH est en production ; la version 1.0 reste acceptée un mois.",
        "FTTH_ACCES",
        None,
    ),
    ("MAINTENANCE_PORTAIL", "Maintenance du portail", "Le portail sera indisponible de 22 h à 23 h.", None, 3),
)
DEMO_FAQ = (
    (None, "Comment obtenir un compte sur le portail ?", "L'administrateur de votre opérateur crée les comptes."),
    (
        "FTTH_ACCES",
        "Pourquoi ne puis-je pas déposer une signalisation FTTH sur le portail ?",
        "Les signalisations FTTH se déposent par web services uniquement (e-SAV intégré).",
    ),
    ("CUIVRE_DEGROUPAGE", "Quel identifiant de prestation pour une ligne dégroupée ?", "Le NDI à dix chiffres."),
    ("FIBRE_LFO", "Quelle GTR pour une liaison fibre dédiée ?", "GTR 4 heures, 24 heures sur 24."),
)
#: Operators whose contracts provide "Mes fichiers" (OPE002's do not: its portal has no such section).
DEMO_FILES_OPERATORS = ("OPE001", "OPE003")
DEMO_INVOICE_MONTHS = 40  # monthly invoices of OPE001 back to 40 months: the oldest fall outside 3 years


#: Operators' notification addresses (``esav courriel adresses``); OPE003 has none: its mail waits, SANS_DESTINATAIRE.
DEMO_MAIL_ADDRESSES = (
    ("OPE001", "contrat", "contrats@alpha.example"),
    ("OPE001", "correspondant", "esav@alpha.example"),
    ("OPE001", "maintenance", "exploitation@alpha.example"),
    ("OPE002", "correspondant", "esav@beta.example"),
)


def _build_demo_mail_addresses(gateway: Gateway) -> None:
    if not gateway.mail.addresses():
        for code, list_name, address in DEMO_MAIL_ADDRESSES:
            gateway.mail.add_address(code, list_name, address, author="démonstration")


def _build_demo_portal(gateway: Gateway) -> None:
    portal = gateway.portal
    today = to_paris(gateway.clock.now()).date()
    for kind, title, body, offer, days in DEMO_NEWS:
        if not portal.has_news(title):
            starts = datetime.combine(today + timedelta(days=days), time(22), tzinfo=PARIS) if days else None
            ends = starts + timedelta(hours=1) if starts else None  # a maintenance announces its end too
            portal.publish_news(kind, title, body, offer=offer, starts_at=starts, author="démonstration", ends_at=ends)
    if not portal.all_faq():
        for offer, question, answer in DEMO_FAQ:
            portal.publish_faq(question, answer, offer, author="démonstration")
    for code, *_ in DEMO_OPERATORS:
        signed = {contract.offer for contract in portal.contracts_of(code)}  # what the provider changed is kept
        for index, offer in enumerate(gateway.accounts.offers_held(code), start=1):
            if offer not in signed:
                portal.set_contract(
                    code,
                    offer,
                    f"CT-{code}-{index:02d}",
                    date(2025, 1, 1),  # taken long ago: every offer's month of set-up is over
                    files_provided=code in DEMO_FILES_OPERATORS,
                    summary=f"Contrat d'accès à l'offre {offer} et à e-SAV.",
                    author="démonstration",
                )
    if not [f for f in portal.files_of("OPE001") if f.direction == "FOURNISSEUR"]:
        portal.publish_file(
            "OPE001",
            "planning-interventions.csv",
            "text/csv",
            b"semaine;interventions\n47;12\n48;9\n",
            "démonstration",
        )
    for code, months, amount in (("OPE001", DEMO_INVOICE_MONTHS, 1_234_56), ("OPE002", 3, 98_700)):
        first = today.replace(day=1)
        for back in range(months):
            year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
            issued = first.replace(year=year, month=month + 1)
            number = f"F{code[-3:]}-{issued:%Y%m}"
            if not portal.has_invoice(number):
                portal.issue_invoice(
                    code, number, issued, f"{issued:%m/%Y}", amount + back * 100, author="démonstration"
                )


# The provider's staff on the portal (pages /fournisseur): login, name, password (a demo, not a secret).
DEMO_AGENTS = (("agent.sav", "Sophie Fournisseur (SAV)", "Fournisseur-SAV-2026!"),)


def _build_demo_agents(gateway: Gateway) -> None:
    for login, name, password in DEMO_AGENTS:
        if not gateway.accounts.login_taken(login):
            # The demo's agent works the after-sales queue too (role SAV).
            gateway.accounts.create_agent(login, name, password, author="démonstration", roles=frozenset({"SAV"}))
