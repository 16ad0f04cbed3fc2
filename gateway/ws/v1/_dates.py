"""v1 dates: ``JJ/MM/AAAA HH:MM`` strings in Europe/Paris local time, both ways.

Going out, an instant is written in Paris time, to the minute. Coming in, a string is read strictly
(exactly that shape, a real calendar date and time) and the daylight-saving edges are decided:

- an hour that happens twice (last Sunday of October, 02:00–02:59) means its **first** occurrence,
  still in summer time (UTC+2), the earlier instant;
- an hour that never happens (last Sunday of March, 02:00–02:59) is refused as ``REQUETE_INVALIDE``.

The v1 format carries no offset, so a time written out in the repeated hour cannot say which one it
is: a limit of the v1 contract that v2 (``xs:dateTime`` with offset) removes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from gateway.domain.clock import PARIS, to_paris
from gateway.errors import InvalidRequestError, quote

__all__ = ["FORMAT", "format_paris", "parse_paris"]

FORMAT = "%d/%m/%Y %H:%M"
_SHAPE = re.compile(r"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}$")


def format_paris(instant: datetime | None) -> str | None:
    """``JJ/MM/AAAA HH:MM`` in Paris time, or None."""
    return None if instant is None else to_paris(instant).strftime(FORMAT)


def parse_paris(text: str | None, field: str) -> datetime | None:
    """The UTC instant a v1 date string names; REQUETE_INVALIDE naming ``field`` if it names none."""
    if text is None:
        return None
    value = text.strip()
    if not _SHAPE.match(value):
        raise InvalidRequestError(
            f"{field} : « {quote(text)} » n'est pas une date au format JJ/MM/AAAA HH:MM (heure de Paris).",
            chemin=field,
            valeur=text,
        )
    try:
        naive = datetime.strptime(value, FORMAT)
    except ValueError:
        raise InvalidRequestError(
            f"{field} : « {quote(text)} » n'est pas une date du calendrier (JJ/MM/AAAA HH:MM).",
            chemin=field,
            valeur=text,
        ) from None
    local = naive.replace(tzinfo=PARIS, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(PARIS).replace(tzinfo=None) != naive:
        raise InvalidRequestError(
            f"{field} : {quote(text)} n'existe pas à Paris (passage à l'heure d'été, de 02:00 à 03:00).",
            chemin=field,
            valeur=text,
        )
    return instant
