"""A new form version enters production no sooner than its notice allows (minor evolution, two months).

The first publication of a database records the catalogue as it stands (the baseline). From then
on, a form version first seen in a publication must enter production at least two months after
that publication, and a version announced that way may not be brought forward inside its notice.
"""

from __future__ import annotations

from datetime import date

from gateway.catalogue import Catalogue
from gateway.domain.form_evolutions import earliest_form_production
from gateway.errors import CatalogueError, ErrorDetail
from gateway.store import Store

__all__ = ["check_form_notices", "declared_form_versions"]


def declared_form_versions(catalogue: Catalogue) -> dict[tuple[str, str], date]:
    """(form, version) → production day, as the catalogue declares them."""
    return {(f.code, v.version): v.date_production for f in catalogue.forms() for v in f.versions}


def check_form_notices(store: Store, catalogue: Catalogue, today: date) -> bool:
    """Raise CatalogueError naming each version that would enter production before its notice ends;
    True when the publication is the baseline (the database's first)."""
    known = store.published_form_versions()
    if not known:
        return True
    details = []
    for (code, version), production in declared_form_versions(catalogue).items():
        first, held = known.get((code, version), (today, True))
        earliest = earliest_form_production(first)
        if held and production < earliest:
            details.append(
                ErrorDetail(
                    f"catalogue.xml/{code}/{version}",
                    f"{code} {version} : mise en production le {production:%d/%m/%Y}, avant la fin de son préavis "
                    f"(évolution de formulaire = évolution mineure, deux mois à compter de sa publication du "
                    f"{first:%d/%m/%Y}) ; au plus tôt le {earliest:%d/%m/%Y}.",
                )
            )
    if details:
        plural = "s" if len(details) > 1 else ""
        raise CatalogueError(
            f"{len(details)} version{plural} de formulaire mise{plural} en production avant la fin du préavis",
            details=details,
        )
    return False
