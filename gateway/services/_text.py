"""Free text coming in: refused when XML cannot carry it (``gateway.domain.xml_text``), whatever the door.

Every use case that stores text a person typed (a comment, a reason, a file name, a name) checks it
here before writing anything, so that no door (SOAP, portal, CLI, CSV) can store a text that a SOAP
answer or a push could not carry. The error names the field in French (``label``) and, as
``chemin``, by its wire or column name; doors show it in their own form.
"""

from __future__ import annotations

from gateway.domain.xml_text import NonXmlChar, first_non_xml_char
from gateway.errors import InvalidRequestError

__all__ = ["check_text", "non_xml_problem"]


def non_xml_problem(label: str, bad: NonXmlChar) -> str:
    """The French message for a text holding a character XML cannot carry, naming the field."""
    return (
        f"{label} : caractère interdit {bad.code_point} en position {bad.position} (caractère de contrôle : "
        "seuls la tabulation et le retour à la ligne sont acceptés)."
    )


def check_text(value: str | None, *, chemin: str, label: str, max_length: int | None = None) -> None:
    """Refuse ``value`` (``REQUETE_INVALIDE`` naming the field) if it holds a character XML 1.0 cannot
    carry, or is longer than ``max_length`` characters (a contract's limit, for the doors that do not
    read the contract's schema: the portal, the command line)."""
    if not value:
        return
    bad = first_non_xml_char(value)
    if bad is not None:
        raise InvalidRequestError(non_xml_problem(label, bad), chemin=chemin, valeur=bad.code_point)
    if max_length is not None and len(value) > max_length:
        raise InvalidRequestError(
            f"{label} : {len(value)} caractères, au plus {max_length}.", chemin=chemin, valeur=str(len(value))
        )
