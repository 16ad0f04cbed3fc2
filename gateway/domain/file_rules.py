"""Naming and format rules of the files an operator deposits in "Mes fichiers", per offer (pure data).

Every file is named ``<OPERATEUR>_<PREFIXE>_<AAAAMMJJ>_<libre>.<extension>``: the operator's code, the
offer's prefix (which says what offer the file is about), the day it was produced and a free part
(letters, digits, ``-``; 1 to 60). Each offer allows its own formats, each extension with the one
MIME type it must be sent as. The rules are data (``FILE_RULES``): adding an offer is a new row,
not new code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from gateway.errors import InvalidRequestError

__all__ = ["FILE_RULES", "FileRule", "check_file_name", "rule_for_prefix"]


@dataclass(frozen=True)
class FileRule:
    """How files of one offer are named and which formats they may take."""

    offer: str
    prefix: str
    #: extension (lower case, without the dot) → the MIME types it may be sent as (browsers differ)
    formats: dict[str, tuple[str, ...]]
    what: str  # what files of this offer usually carry, in French

    @property
    def pattern(self) -> str:
        return f"<OPERATEUR>_{self.prefix}_<AAAAMMJJ>_<libre>.({'|'.join(self.formats)})"

    def example(self, operator_code: str) -> str:
        return f"{operator_code}_{self.prefix}_20261118_releve-1.{next(iter(self.formats))}"

    @property
    def formats_text(self) -> str:
        return ", ".join(f".{ext}" for ext in self.formats)


# Windows browsers send CSV as Excel's type and ZIP as x-zip-compressed: both are the same files.
_CSV = {"csv": ("text/csv", "application/vnd.ms-excel")}
_PDF = {"pdf": ("application/pdf",)}
_XML = {"xml": ("application/xml", "text/xml")}
_ZIP = {"zip": ("application/zip", "application/x-zip-compressed")}
_TXT = {"txt": ("text/plain",)}

#: The rule of each offer: relevés and commandes as CSV for mass-market offers, plans and reports as
#: PDF for business links, XML exports for Ethernet collect.
FILE_RULES: dict[str, FileRule] = {
    rule.offer: rule
    for rule in (
        FileRule("FTTH_ACCES", "FTTH", {**_CSV, **_ZIP}, "relevés de lignes FTTH (CSV, ou ZIP de CSV)"),
        FileRule("CUIVRE_DEGROUPAGE", "CUIVRE", {**_CSV, **_TXT}, "relevés et listes de NDI (CSV ou texte)"),
        FileRule("DSL_BITSTREAM", "DSL", {**_CSV}, "relevés de débits (CSV)"),
        FileRule("FIBRE_LFO", "LFO", {**_PDF, **_ZIP}, "plans de sites et rapports (PDF, ou ZIP de PDF)"),
        FileRule("ETHERNET_CE2O", "ETH", {**_CSV, **_XML}, "inventaires de services (CSV ou XML)"),
    )
}
_NAME = re.compile(
    r"^(?P<operator>[A-Z0-9]{1,10})_(?P<prefix>[A-Z0-9]+)_(?P<day>\d{8})_(?P<free>[A-Za-z0-9-]{1,60})\.(?P<ext>\w+)$"
)


def rule_for_prefix(prefix: str) -> FileRule | None:
    return next((rule for rule in FILE_RULES.values() if rule.prefix == prefix), None)


def check_file_name(name: str, mime_type: str, operator_code: str, offers: tuple[str, ...]) -> FileRule:
    """The rule ``name`` follows among ``offers`` (those whose contract provides "Mes fichiers");
    InvalidRequestError naming the file, the rule broken and an example otherwise."""
    allowed = [FILE_RULES[offer] for offer in offers if offer in FILE_RULES]
    if not allowed:
        raise InvalidRequestError(f"{name} : aucun de vos contrats ne prévoit le dépôt de fichiers.", chemin="fichiers")
    general = " ; ".join(f"{r.pattern} (par exemple {r.example(operator_code)})" for r in allowed)
    match = _NAME.match(name)
    if match is None:
        raise InvalidRequestError(
            f"{name} : nom non conforme. Règle de nommage : {general}.", chemin="fichiers", valeur=name
        )
    if match["operator"] != operator_code:
        raise InvalidRequestError(
            f"{name} : le nom doit commencer par votre code opérateur {operator_code} "
            f"(par exemple {allowed[0].example(operator_code)}).",
            chemin="fichiers",
            valeur=name,
        )
    rule = next((r for r in allowed if r.prefix == match["prefix"]), None)
    if rule is None:
        prefixes = ", ".join(f"{r.prefix} ({r.offer})" for r in allowed)
        raise InvalidRequestError(
            f"{name} : préfixe d'offre « {match['prefix']} » inconnu ou non prévu par vos contrats ; "
            f"préfixes permis : {prefixes} (par exemple {allowed[0].example(operator_code)}).",
            chemin="fichiers",
            valeur=name,
        )
    day = match["day"]
    try:
        date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        raise InvalidRequestError(
            f"{name} : « {day} » n'est pas une date AAAAMMJJ (par exemple {rule.example(operator_code)}).",
            chemin="fichiers",
            valeur=name,
        ) from None
    extension = match["ext"].lower()
    if extension not in rule.formats:
        raise InvalidRequestError(
            f"{name} : format .{extension} refusé pour l'offre {rule.offer} ; formats permis : {rule.formats_text} "
            f"(règle {rule.pattern}, par exemple {rule.example(operator_code)}).",
            chemin="fichiers",
            valeur=name,
        )
    expected = rule.formats[extension]
    if mime_type not in expected:
        raise InvalidRequestError(
            f"{name} : type « {mime_type} » reçu, « {expected[0]} » attendu pour un fichier .{extension} "
            f"de l'offre {rule.offer} (par exemple {rule.example(operator_code)}).",
            chemin="fichiers",
            valeur=name,
        )
    return rule
