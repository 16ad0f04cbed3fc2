"""Form evolutions are minor evolutions of e-SAV intégré (e-SAV 12.1): two months' notice.

The seed lists "l'évolution ou l'ajout de formulaires ou catalogues de formulaires" among the minor
evolutions, whatever the change does to old instances: an incompatible form version is still a
minor evolution, made bearable by the month during which both versions are accepted.
"""

from __future__ import annotations

from datetime import date

from gateway.domain.versions import add_months

__all__ = ["FORM_EVOLUTION_NOTICE_MONTHS", "earliest_form_production"]

#: Months of notice of a new form version (minor evolution).
FORM_EVOLUTION_NOTICE_MONTHS = 2


def earliest_form_production(published_on: date) -> date:
    """The earliest production day of a form version first published (announced) on ``published_on``."""
    return add_months(published_on, FORM_EVOLUTION_NOTICE_MONTHS)
