"""The portal states each desk's handling hours: e-SAV incidents Monday–Saturday, the portal Monday–Friday."""

from __future__ import annotations

from html import unescape

from web_support import TECH, signed_in


def test_e_soutien_page_states_the_hours_of_each_desk(portal) -> None:
    """The e-soutien page says portal problems Monday–Friday and e-SAV incidents Monday–Saturday, 8 h to 18 h."""
    page = unescape(signed_in(portal, TECH).get("/e-soutien").text)
    assert (
        "Problème du portail (Espace Opérateurs, Mes fichiers…) : demandes traitées du lundi au vendredi de 8 h à 18 h"
        in page
    )
    assert "Dysfonctionnement d'e-SAV : demandes traitées du lundi au samedi de 8 h à 18 h" in page
    assert "la procédure de signalisation hors Web du contrat de l'offre reste possible" in page


def test_every_page_footer_states_both_desks(portal) -> None:
    """The footer of an e-SAV page gives e-SAV's Monday–Saturday hours, not only the portal's Monday–Friday."""
    page = unescape(signed_in(portal, TECH).get("/esav").text)
    assert (
        "e-soutien de 8 h à 18 h (heure de Paris) hors jours fériés : "
        "e-SAV du lundi au samedi, portail du lundi au vendredi" in page
    )
