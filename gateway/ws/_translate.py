"""Use-case results as wire values, shared by every version's ``signalisation`` skin.

A version differs in its types (namespace, date type, a few fields) and in how it writes a date;
what a detail or a summary *contains* is the same, so it is built here once. ``t`` is a version's
type namespace (``make_types``), ``date`` its date converter (an aware datetime or None in, the
wire value out).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree

from gateway.domain.states import TicketState
from gateway.services import AttachmentIn, TicketDetail
from gateway.services.records import TicketRecord

__all__ = ["attachments_in", "detail_fields", "summary_fields"]

DateOut = Callable[[datetime | None], Any]


def attachments_in(items: Any) -> tuple[AttachmentIn, ...]:
    """``piecesJointes`` as the use cases take them (spyne may hand base64 content in chunks)."""
    return tuple(
        AttachmentIn(p.nom, p.typeMime, p.contenu if isinstance(p.contenu, bytes) else b"".join(p.contenu))
        for p in (items or [])
    )


def summary_fields(ticket: TicketRecord, date: DateOut) -> dict[str, Any]:
    """The fields of a ticket summary (history and search lists)."""
    return {
        "referenceSignalisation": ticket.reference,
        "identifiantPrestation": ticket.prestation,
        "codeOffre": ticket.code_offre,
        "gravite": ticket.gravite,
        "etat": ticket.state,
        "libelleEtat": TicketState(ticket.state).libelle,
        "dateDepot": date(ticket.deposited_at),
        "dateEtat": date(ticket.state_at),
        "dateCloture": date(ticket.closed_at),
    }


def detail_fields(d: TicketDetail, t: Any, date: DateOut) -> dict[str, Any]:
    """The fields of ``consulterDetailSignalisation`` that every version carries."""
    ticket, p = d.ticket, d.prestation

    def code_libelle(code: str | None, libelle: str | None) -> Any:
        return t.code_libelle(code=code, libelle=libelle or code) if code else None

    return {
        "referenceSignalisation": ticket.reference,
        "etat": ticket.state,
        "libelleEtat": d.state_libelle,
        "dateDepot": date(ticket.deposited_at),
        "dateEtat": date(ticket.state_at),
        "dateCloture": date(ticket.closed_at),
        "prestation": t.prestation(
            numero=p.identifiant,
            codeOffre=p.code_offre,
            extremiteA=p.extremite_a,
            extremiteB=p.extremite_b,
            codeCommune=p.code_commune,
            informationsComplementaires=p.informations,
        ),
        "defautDeclare": t.defaut(
            gravite=ticket.gravite,
            commentaire=ticket.commentaire,
            formulaire=t.formulaire(
                code=ticket.form_code, version=ticket.form_version, contenu=etree.fromstring(ticket.form_xml)
            ),
        ),
        "gtr": t.gtr(
            type=d.gtr.option,
            libelle=d.gtr.libelle,
            echeance=date(d.gtr.deadline),
            respectee=None if d.gtr.met is None else ("OUI" if d.gtr.met else "NON"),
        ),
        "historique": [
            t.changement_etat(
                etatPrecedent=r.from_state,
                etat=r.to_state,
                date=date(r.at),
                action=r.action,
                acteur=r.actor,
                auteur=r.author,
                motif=r.reason,
                code=r.code,
            )
            for r in d.transitions
        ],
        "commentaires": [
            t.commentaire(origine=c.side, auteur=c.author, date=date(c.at), texte=c.text) for c in d.comments
        ],
        "piecesJointes": [
            t.description_piece_jointe(
                idPieceJointe=a.id,
                nom=a.name,
                typeMime=a.mime_type,
                taille=a.size,
                empreinteSha256=a.sha256,
                origine=a.side,
                date=date(a.at),
            )
            for a in d.attachments
        ],
        "motifGel": code_libelle(ticket.freeze_code, d.freeze_libelle),
        "motifRejet": code_libelle(ticket.rejection_code, d.rejection_libelle),
        "codeCloture": code_libelle(ticket.closure_code, d.closure_libelle),
    }
