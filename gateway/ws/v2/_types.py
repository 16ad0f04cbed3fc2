"""Wire models of the v2 ``signalisation`` service (namespace ``urn:esav:signalisation:v2``).

Built in a factory so that no class is shared with another Application (docs/decisions.md, measured facts).
Dates are ``xs:dateTime`` with their offset, given in Paris local time.
"""

from __future__ import annotations

from types import SimpleNamespace

from spyne import AnyXml, ByteArray, DateTime, Enum, Integer, Unicode, XmlAttribute
from spyne.const.xml import XSD
from spyne.model.complex import Array

from .._models import MAX_CODE, MAX_FILE_NAME, MAX_FORM_CODE, MAX_FORM_VERSION, MAX_MIME_TYPE, model_factory
from .._models import optional as _opt
from .._models import required as _req

__all__ = ["make_types"]


def make_types(ns: str) -> SimpleNamespace:
    """Every complex type of the v2 signalisation service, in namespace ``ns``."""

    model = model_factory(ns)

    gravite = Enum("MINEURE", "MAJEURE", "CRITIQUE", type_name="gravite", __namespace__=ns)
    # Named in ``ns``: an attribute's anonymous restriction would land in a namespace of spyne's own.
    form_code = Unicode(min_occurs=1, max_len=MAX_FORM_CODE, type_name="formulaire_codeType", __namespace__=ns)
    form_version = Unicode(min_occurs=1, max_len=MAX_FORM_VERSION, type_name="formulaire_versionType", __namespace__=ns)
    # The states a search filters on; keeps the array's wire names (``stringArray`` of ``string``).
    etats = Array(
        Unicode(max_len=MAX_CODE, type_name="codeEtat", __namespace__=ns),
        member_name="string",
        type_name="stringArray",
        wrapped=True,
        nillable=False,
    )
    formulaire = model(
        "formulaire",
        [
            ("code", XmlAttribute(form_code)),
            ("version", XmlAttribute(form_version)),
            ("contenu", AnyXml(schema_tag=XSD("any"), namespace="##other", process_contents="lax", nillable=False)),
        ],
    )
    piece_jointe = model(
        "pieceJointe",
        [
            ("nom", _req(Unicode(max_len=MAX_FILE_NAME))),
            ("typeMime", _req(Unicode(max_len=MAX_MIME_TYPE))),
            # Bounded by the request's size (``max_body_bytes``), then 5 MB each (contract §3).
            ("contenu", _req(ByteArray)),
        ],
    )
    description_piece_jointe = model(
        "descriptionPieceJointe",
        [
            ("idPieceJointe", _req(Integer)),
            ("nom", _req(Unicode)),
            ("typeMime", _req(Unicode)),
            ("taille", _req(Integer)),
            ("empreinteSha256", _req(Unicode)),
            ("origine", _req(Unicode)),
            ("date", _req(DateTime)),
        ],
    )
    prestation = model(
        "prestation",
        [
            ("numero", _req(Unicode)),
            ("codeOffre", _req(Unicode)),
            ("extremiteA", _req(Unicode)),
            ("extremiteB", _req(Unicode)),
            ("codeCommune", _opt(Unicode)),
            ("informationsComplementaires", _opt(Unicode)),
        ],
    )
    defaut = model(
        "defautDeclare",
        [("gravite", _req(gravite)), ("commentaire", _opt(Unicode)), ("formulaire", _req(formulaire))],
    )
    gtr = model(
        "gtr",
        [
            ("type", _req(Unicode)),
            ("libelle", _req(Unicode)),
            ("echeance", _req(DateTime)),
            ("respectee", _opt(Unicode(values=["OUI", "NON"]))),
        ],
    )
    code_libelle = model("codeLibelle", [("code", _req(Unicode)), ("libelle", _req(Unicode))])
    changement_etat = model(
        "changementEtat",
        [
            ("etatPrecedent", _opt(Unicode)),
            ("etat", _req(Unicode)),
            ("date", _req(DateTime)),
            ("action", _req(Unicode)),
            ("acteur", _req(Unicode)),
            ("auteur", _req(Unicode)),
            ("motif", _opt(Unicode)),
            ("code", _opt(Unicode)),
        ],
    )
    commentaire = model(
        "commentaire",
        [("origine", _req(Unicode)), ("auteur", _req(Unicode)), ("date", _req(DateTime)), ("texte", _req(Unicode))],
    )
    resume = model(
        "resumeSignalisation",
        [
            ("referenceSignalisation", _req(Unicode)),
            ("referenceOperateur", _opt(Unicode)),
            ("identifiantPrestation", _req(Unicode)),
            ("codeOffre", _req(Unicode)),
            ("gravite", _req(gravite)),
            ("etat", _req(Unicode)),
            ("libelleEtat", _req(Unicode)),
            ("dateDepot", _req(DateTime)),
            ("dateEtat", _req(DateTime)),
            ("dateCloture", _opt(DateTime)),
        ],
    )
    # An appointment as the ticket's detail shows it (the rendezvous service gives the full one).
    rendez_vous = model(
        "rendezVous",
        [
            ("idRendezVous", _req(Unicode)),
            ("typeIntervention", _req(Unicode)),
            ("idCreneau", _req(Unicode)),
            ("debut", _req(DateTime)),
            ("fin", _req(DateTime)),
            ("statut", _req(Unicode)),
        ],
    )
    detail = model(
        "detailSignalisation",
        [
            ("referenceSignalisation", _req(Unicode)),
            ("referenceOperateur", _opt(Unicode)),
            ("etat", _req(Unicode)),
            ("libelleEtat", _req(Unicode)),
            ("dateDepot", _req(DateTime)),
            ("dateEtat", _req(DateTime)),
            ("dateCloture", _opt(DateTime)),
            ("prestation", _req(prestation)),
            ("defautDeclare", _req(defaut)),
            ("gtr", _req(gtr)),
            ("historique", _req(Array(changement_etat, wrapped=True, nillable=False))),
            ("commentaires", _req(Array(commentaire, wrapped=True, nillable=False))),
            ("piecesJointes", _req(Array(description_piece_jointe, wrapped=True, nillable=False))),
            ("rendezVous", _req(Array(rendez_vous, wrapped=True, nillable=False))),
            ("motifGel", _opt(code_libelle)),
            ("motifRejet", _opt(code_libelle)),
            ("codeCloture", _opt(code_libelle)),
        ],
    )
    return SimpleNamespace(
        gravite=gravite,
        formulaire=formulaire,
        etats=etats,
        piece_jointe=piece_jointe,
        description_piece_jointe=description_piece_jointe,
        prestation=prestation,
        defaut=defaut,
        gtr=gtr,
        code_libelle=code_libelle,
        changement_etat=changement_etat,
        commentaire=commentaire,
        resume=resume,
        rendez_vous=rendez_vous,
        detail=detail,
        req=_req,
        opt=_opt,
    )
