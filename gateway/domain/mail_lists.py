"""Who of an operator receives which e-mail: its notification addresses, by list, and each topic's lists.

An operator gives the provider a contract contact, an e-SAV correspondent and, if it wishes, one list
of addresses per topic. Every message has a topic; it goes to the topic's own list and to the
correspondent, and a change of the conditions also to the contract contact (the conditions bind the
contract). An address appears once per message however many lists hold it.
"""

from __future__ import annotations

import re
from enum import StrEnum

from gateway.errors import InvalidRequestError

__all__ = ["MailList", "Topic", "check_address", "lists_for"]


class MailList(StrEnum):
    CONTRAT = "contrat"
    CORRESPONDANT = "correspondant"
    MAINTENANCE = "maintenance"
    EVOLUTIONS = "evolutions"
    CONDITIONS = "conditions"
    QUOTAS = "quotas"
    CERTIFICATS = "certificats"

    @property
    def libelle(self) -> str:
        return _LABELS[self]


class Topic(StrEnum):
    """What a message is about; each topic has the list of the same name."""

    MAINTENANCE = "maintenance"
    EVOLUTIONS = "evolutions"
    CONDITIONS = "conditions"
    QUOTAS = "quotas"
    CERTIFICATS = "certificats"


_LABELS = {
    MailList.CONTRAT: "Contact contractuel",
    MailList.CORRESPONDANT: "Correspondant e-SAV",
    MailList.MAINTENANCE: "Maintenances et interruptions",
    MailList.EVOLUTIONS: "Évolutions (adresses, authentification, web services)",
    MailList.CONDITIONS: "Conditions et annexes",
    MailList.QUOTAS: "Limitations de requêtes",
    MailList.CERTIFICATS: "Certificats",
}

#: Deliberately plain: one @, no spaces or control characters, a dotted domain. The relay has the last word.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def lists_for(topic: Topic) -> tuple[MailList, ...]:
    """The lists whose addresses receive a message of ``topic``."""
    own = MailList(topic.value)
    if topic is Topic.CONDITIONS:
        return (MailList.CONTRAT, MailList.CORRESPONDANT, own)
    return (MailList.CORRESPONDANT, own)


def check_address(text: str) -> str:
    """The address, trimmed and with its domain lower-cased; InvalidRequestError naming it otherwise."""
    address = text.strip()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise InvalidRequestError(
            f"Adresse électronique « {address[:80]} » invalide (attendu : nom@domaine.fr).",
            chemin="adresse",
            valeur=address[:254],
        )
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"
