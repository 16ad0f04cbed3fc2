"""The e-SAV order form ("bon de commande") and the subscription's life: pure rules, no storage.

Mandatory fields must be filled; formats are checked (SIRET: 14 digits with its Luhn key; e-mail;
French phone; the contract reference ends with ``-ESAV``, as annex 3 writes it: the reference of
the signed general conditions followed by ``-ESAV``); the representative's last and first names are
separate fields; the form is signed: "Fait à", "le" (a date, not in the future) and the signatory's
last name, first name and position ("qualité"); the designated e-SAV contact is optional, but once
named it needs a phone or an e-mail; at least one access (en ligne, intégré) is requested. Accesses
open on the activation date, not before. Termination takes effect two months
after the notice: from that day (Paris) the operator's e-SAV accesses are closed. A new offer needs
one month of set-up after the operator takes it before its tickets are handled in e-SAV.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from gateway.domain.notices import add_months
from gateway.errors import ErrorDetail

__all__ = [
    "ACCESS_MODES",
    "CONTRACT_SUFFIX",
    "FIELDS",
    "MANDATORY",
    "OFFER_SETUP_MONTHS",
    "TERMINATION_NOTICE_MONTHS",
    "access_closed",
    "access_not_yet_open",
    "check_order_form",
    "offer_ready_on",
    "signature_day",
    "termination_date",
]

ACCESS_MODES = {"EN_LIGNE": "e-SAV en ligne (portail)", "INTEGRE": "e-SAV intégré (web services)"}
TERMINATION_NOTICE_MONTHS = 2
OFFER_SETUP_MONTHS = 1
#: field name → French label, in the form's order.
FIELDS = {
    "referenceContrat": "Référence du contrat",
    "numeroAffaire": "Numéro d'affaire",
    "raisonSociale": "Raison sociale",
    "siret": "SIRET",
    "representantNom": "Représenté par : nom",
    "representantPrenom": "Représenté par : prénom",
    "telephone": "Téléphone",
    "courriel": "Courriel",
    "adresse1": "Adresse (ligne 1)",
    "adresse2": "Adresse (ligne 2)",
    "adresse3": "Adresse (ligne 3)",
    "contactNom": "Contact e-SAV désigné : nom",
    "contactFonction": "Contact e-SAV désigné : fonction",
    "contactTelephone": "Contact e-SAV désigné : téléphone",
    "contactCourriel": "Contact e-SAV désigné : courriel",
    "commentaires": "Commentaires",
    "faitA": "Fait à",
    "faitLe": "Le (date de signature)",
    "signataireNom": "Signataire : nom",
    "signatairePrenom": "Signataire : prénom",
    "signataireQualite": "Signataire : qualité",
}
MANDATORY = frozenset(
    {
        "referenceContrat",
        "numeroAffaire",
        "raisonSociale",
        "siret",
        "representantNom",
        "representantPrenom",
        "telephone",
        "courriel",
        "adresse1",
        # The signature block: a form is signed where and when, by whom, in which position.
        "faitA",
        "faitLe",
        "signataireNom",
        "signatairePrenom",
        "signataireQualite",
    }
)
#: The contract reference: the signed general conditions' reference followed by "-ESAV" (annex 3).
CONTRACT_SUFFIX = "-ESAV"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^(?:0|\+33 ?)[1-9](?:[ .-]?[0-9]{2}){4}$")
_MAX_LENGTH = 200


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def signature_day(text: str) -> date | None:
    """The "le" of the signature block: ``2026-11-18`` or ``18/11/2026``; None when it is not a date."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def check_order_form(form: Mapping[str, str], access: frozenset[str], today: date | None = None) -> list[ErrorDetail]:
    """Every problem of the form, one per field (``chemin`` is the field name); empty when complete.
    ``today`` (Paris) refuses a signature dated in the future."""
    values = {name: (form.get(name) or "").strip() for name in FIELDS}
    problems: dict[str, str] = {}
    for name in FIELDS:
        if name in MANDATORY and not values[name]:
            problems[name] = "Champ obligatoire."
        elif len(values[name]) > (2000 if name == "commentaires" else _MAX_LENGTH):
            problems[name] = "Texte trop long."
    siret = values["siret"].replace(" ", "")
    if values["siret"] and not (len(siret) == 14 and siret.isdigit() and _luhn_ok(siret)):
        problems["siret"] = "SIRET invalide : 14 chiffres dont la clé de contrôle."
    reference = values["referenceContrat"]
    if reference and not (
        reference.upper().endswith(CONTRACT_SUFFIX) and len(reference.rstrip()) > len(CONTRACT_SUFFIX)
    ):
        problems.setdefault(
            "referenceContrat",
            "La référence du contrat est celle des Conditions Générales e-services signées suivie de « -ESAV » "
            "(par exemple CG-2026-0042-ESAV).",
        )
    if values["faitLe"]:
        signed = signature_day(values["faitLe"])
        if signed is None:
            problems.setdefault("faitLe", "Date invalide : JJ/MM/AAAA (par exemple 18/11/2026).")
        elif today is not None and signed > today:
            problems.setdefault("faitLe", f"Date de signature dans le futur : au plus tard le {today:%d/%m/%Y}.")
    for name in ("courriel", "contactCourriel"):
        if values[name] and not _EMAIL.match(values[name]):
            problems[name] = "Adresse électronique invalide."
    for name in ("telephone", "contactTelephone"):
        if values[name] and not _PHONE.match(values[name]):
            problems[name] = "Numéro de téléphone invalide (par exemple 01 23 45 67 89)."
    contact = [values[n] for n in ("contactNom", "contactFonction", "contactTelephone", "contactCourriel")]
    if any(contact):
        if not values["contactNom"]:
            problems.setdefault("contactNom", "Nom du contact obligatoire dès qu'un contact est désigné.")
        if not values["contactTelephone"] and not values["contactCourriel"]:
            problems.setdefault("contactTelephone", "Téléphone ou courriel du contact obligatoire.")
    if not access or not access <= frozenset(ACCESS_MODES):
        problems["acces"] = "Choisissez e-SAV en ligne, e-SAV intégré ou les deux."
    order = [*FIELDS, "acces"]
    return [ErrorDetail(chemin=name, libelle=problems[name]) for name in order if name in problems]


def access_not_yet_open(starts_on: str | date | None, today: date) -> bool:
    """Whether e-SAV accesses activated from ``starts_on`` (ISO day) are still closed on ``today``."""
    if starts_on is None:
        return False
    start = date.fromisoformat(starts_on) if isinstance(starts_on, str) else starts_on
    return today < start


def termination_date(notice_on: date) -> date:
    """The day a termination notified on ``notice_on`` takes effect: two months later."""
    return add_months(notice_on, TERMINATION_NOTICE_MONTHS)


def access_closed(ends_on: str | date | None, today: date) -> bool:
    """Whether e-SAV accesses ending on ``ends_on`` (a terminated subscription's effective day) are
    closed on ``today`` (Paris day): closed from that day on; never when there is no end."""
    if ends_on is None:
        return False
    end = date.fromisoformat(ends_on) if isinstance(ends_on, str) else ends_on
    return today >= end


def offer_ready_on(taken_on: date) -> date:
    """The first day tickets of an offer taken on ``taken_on`` are handled in e-SAV: one month of set-up."""
    return add_months(taken_on, OFFER_SETUP_MONTHS)
