"""Field hints in words for the deposit page: what the catalogue's patterns ask for, said as a person would.

A regular expression means nothing to an after-sales agent or an operator's technician; each
pattern the forms use has its French sentence here. A pattern not yet listed falls back to a
neutral sentence (never the expression itself), and a test keeps this table complete.
"""

from __future__ import annotations

__all__ = ["PATTERN_WORDS", "pattern_hint"]

#: Each pattern of the catalogue's forms, in words.
PATTERN_WORDS = {
    r"(0|\+33)[1-9][0-9]{8}": "un numéro de téléphone : 10 chiffres commençant par 0 (ou +33 suivi de 9 chiffres)",
    r"0[1-9][0-9]{8}": "10 chiffres commençant par 0, sans espace",
    r"[0-9A-Z]{10}": "10 caractères, chiffres ou lettres majuscules",
    r"[0-9]{5}-[0-9]{1,3}": "5 chiffres, un tiret, puis 1 à 3 chiffres",
    r"[0-9]{5}[A-Z0-9]{0,3}": "5 chiffres, suivis au plus de 3 chiffres ou lettres majuscules",
    r"[0-9]{5}|2[AB][0-9]{3}": "le code INSEE de la commune : 5 chiffres (2A ou 2B puis 3 chiffres en Corse)",
    r"[A-Z0-9\-]{1,20}/[0-9]{1,2}/[0-9]{1,3}": (
        "trois parties séparées par « / » : un repère (majuscules, chiffres, tirets), 1 ou 2 chiffres, 1 à 3 chiffres"
    ),
    r"[A-Z0-9]{4}-[A-Z0-9\-]{1,26}": (
        "4 lettres majuscules ou chiffres, un tiret, puis jusqu'à 26 lettres majuscules, chiffres ou tirets"
    ),
    r"[^@\s]+@[^@\s]+\.[^@\s]+": "une adresse électronique, par exemple prenom.nom@exemple.fr",
}


def pattern_hint(pattern: str) -> str:
    """The sentence that tells what ``pattern`` asks for."""
    words = PATTERN_WORDS.get(pattern)
    return f"Attendu : {words}." if words else "Respectez le format de l'exemple de la documentation e-SAV."
