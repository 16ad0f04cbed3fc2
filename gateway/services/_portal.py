"""Espace Opérateurs' content for a logged-in user: news and notices, FAQ, contracts, "Mes fichiers",
invoice duplicates, e-soutien; and what the provider publishes there.

Every read is bounded by the user's operator (never another's file or invoice) and by its profile
(e-services, offers), as ``PortalUser`` carries them. Every provider action (the staff's pages and
``esav portail`` call the same methods) is audited with its author, in its own transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from gateway.domain.clock import Clock, to_paris
from gateway.domain.file_rules import check_file_name
from gateway.domain.notices import NoticeKind, check_notice
from gateway.domain.xml_text import xml_safe
from gateway.errors import InvalidRequestError, NotEntitledError
from gateway.store import (
    ContractRecord,
    FaqRecord,
    FileRecord,
    InvoiceRecord,
    MailAttachment,
    NewsRecord,
    PrestationRecord,
    Store,
    SupportRecord,
)

from ._accounts import PortalUser
from ._notices_mail import NoticeMailer, window_sentence
from ._text import check_text

__all__ = ["FILE_TYPES", "MAX_FILE_BYTES", "NEWS_KINDS", "PortalService", "UploadedFile"]

RATE_LIMIT_NEWS = "LIMITATION_REQUETES"
NEWS_KINDS = {
    "ACTUALITE": "Actualité",
    "OFFRE_REFERENCE": "Offre de référence",
    "EVOLUTION": "Évolution contractuelle ou réglementaire",
    # Announcements of a change: their date must respect the notice owed (``domain.notices``).
    **{kind.value: kind.libelle for kind in NoticeKind},
    # Published by ``esav quota fixer`` for the operator concerned only, never by hand.
    RATE_LIMIT_NEWS: "Limitation du nombre de requêtes",
}
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_TYPES = frozenset({"application/pdf", "text/csv", "text/plain", "application/zip", "application/xml", "text/xml"})
INVOICE_YEARS = 3
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class UploadedFile:
    name: str
    mime_type: str
    content: bytes


def _three_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - INVOICE_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year - INVOICE_YEARS, day=28)


class PortalService:
    """What the portal's pages show and record, beyond e-SAV."""

    def __init__(self, store: Store, clock: Clock, notices: NoticeMailer | None = None) -> None:
        self._store = store
        self._clock = clock
        self._notices = notices  # mails every announcement of a change to the operators concerned

    # Reading ------------------------------------------------------------------------------------

    def news(self, user: PortalUser) -> list[NewsRecord]:
        """Published news and notices for every operator or for an offer the user reaches (and those
        addressed to the user's operator alone)."""
        self._require(user, "ACTUALITES")
        return [
            n
            for n in self._store.news(self._clock.now())
            if (n.offer is None or user.can_read(n.offer)) and n.operator_code in (None, user.caller.operator_code)
        ]

    def faq(self, user: PortalUser) -> list[FaqRecord]:
        """General questions and those of the offers the user reaches (open to every user)."""
        return [f for f in self._store.faq() if f.offer is None or user.can_read(f.offer)]

    def contracts(self, user: PortalUser) -> list[ContractRecord]:
        self._require(user, "CONTRATS")
        return [c for c in self._store.contracts(user.caller.operator_code) if user.can_read(c.offer)]

    def files(self, user: PortalUser) -> list[FileRecord]:
        self._require(user, "FICHIERS")
        return self._store.files(user.caller.operator_code)

    def file(self, user: PortalUser, file_id: int) -> FileRecord:
        self._require(user, "FICHIERS")
        found = self._store.file(file_id)
        if found is None or found.operator_code != user.caller.operator_code:
            raise NotEntitledError("Fichier inconnu.")
        return found

    def invoices(self, user: PortalUser) -> list[InvoiceRecord]:
        """The operator's invoices issued within the last three years (rolling)."""
        self._require(user, "DUPLICATA")
        since = _three_years_before(to_paris(self._clock.now()).date())
        return self._store.invoices(user.caller.operator_code, since.isoformat())

    def invoice(self, user: PortalUser, invoice_id: int) -> InvoiceRecord:
        self._require(user, "DUPLICATA")
        found = self._store.invoice(invoice_id)
        since = _three_years_before(to_paris(self._clock.now()).date()).isoformat()
        if found is None or found.operator_code != user.caller.operator_code or found.issued_on < since:
            raise NotEntitledError("Facture inconnue.")
        return found

    def prestations(self, user: PortalUser, *, write: bool = False) -> list[PrestationRecord]:
        """The operator's prestations of the offers the user reads (``write``: writes)."""
        allowed = user.can_write if write else user.can_read
        return [p for p in self._store.list_prestations(user.caller.operator_code) if allowed(p.code_offre)]

    def prestation(self, user: PortalUser, identifiant: str, *, write: bool = False) -> PrestationRecord:
        """One of those; NotEntitledError alike whether it does not exist, is another operator's or is
        of an offer the user may not read (``write``: write)."""
        found = self._store.get_prestation(identifiant)
        allowed = user.can_write if write else user.can_read
        if found is None or found.operator_code != user.caller.operator_code or not allowed(found.code_offre):
            raise NotEntitledError("Prestation inconnue.")
        return found

    # Acting -------------------------------------------------------------------------------------

    def upload(self, user: PortalUser, uploads: list[UploadedFile]) -> list[FileRecord]:
        """Publish files for the provider; a name already used gets a new version (the earlier ones stay).

        Returns the receipt: each file's name, version and publication time.
        """
        self._require(user, "FICHIERS")
        if not any(u.content or u.name for u in uploads):
            raise InvalidRequestError("Choisissez au moins un fichier.", chemin="fichiers")
        checked = [(self._file_name(u.name), u) for u in uploads]
        for name, upload in checked:
            # The naming rule and formats of the offer the name designates (``domain.file_rules``).
            check_file_name(name, upload.mime_type, user.caller.operator_code, user.file_offers)
            if len(upload.content) > MAX_FILE_BYTES:
                raise InvalidRequestError(f"{name} dépasse 5 Mo.", chemin="fichiers", valeur=name)
        now = self._clock.now()
        receipt = []
        with self._store.write() as tx:
            for name, upload in checked:
                receipt.append(
                    tx.portal.add_file_version(
                        operator_code=user.caller.operator_code,
                        direction="OPERATEUR",
                        name=name,
                        mime_type=upload.mime_type,
                        content=upload.content,
                        sha256=hashlib.sha256(upload.content).hexdigest(),
                        published_at=now,
                        author=user.user.login,
                    )
                )
        return receipt

    def support_request(self, user: PortalUser, subject: str, description: str) -> SupportRecord:
        """An e-soutien ticket about the portal (handled Monday to Friday 08:00–18:00 Paris time)."""
        subject, description = subject.strip(), description.strip()
        if not subject:
            raise InvalidRequestError("L'objet est obligatoire.", chemin="objet")
        if not description:
            raise InvalidRequestError("La description est obligatoire.", chemin="description")
        check_text(subject, chemin="objet", label="Objet")
        check_text(description, chemin="description", label="Description")
        if len(subject) > 200 or len(description) > 5000:
            raise InvalidRequestError("Objet : 200 caractères au plus ; description : 5 000.", chemin="description")
        with self._store.write() as tx:
            return tx.portal.add_support_request(
                user.caller.operator_code, user.user.login, subject, description, self._clock.now()
            )

    # The provider publishes ----------------------------------------------------------------------

    def publish_news(
        self,
        kind: str,
        title: str,
        body: str,
        *,
        offer: str | None = None,
        starts_at: datetime | None = None,
        author: str = "fournisseur",
        ends_at: datetime | None = None,
        document: UploadedFile | None = None,
    ) -> int:
        """Publish news or, for a change (``NoticeKind``), an announcement whose date respects the notice
        owed: InvalidRequestError naming the earliest allowed date otherwise. An announcement is mailed,
        in the same transaction, to every operator concerned; an interruption needs its end
        (``ends_at``: dates, hours and duration are given), a change of conditions the new ``document``."""
        if kind not in NEWS_KINDS:
            raise InvalidRequestError(f"Type d'actualité « {kind} » inconnu.", chemin="type", valeur=kind)
        if kind == RATE_LIMIT_NEWS:
            raise InvalidRequestError(
                "Une limitation de requêtes s'annonce avec « esav quota fixer » (elle est publiée pour son opérateur).",
                chemin="type",
                valeur=kind,
            )
        if not title.strip() or not body.strip():
            raise InvalidRequestError("Le titre et le texte sont obligatoires.", chemin="titre")
        check_text(title, chemin="titre", label="Titre")
        check_text(body, chemin="texte", label="Texte")
        now = self._clock.now()
        notice = NoticeKind(kind) if kind in NoticeKind.__members__ else None
        attachment = None
        shown = body  # what the portal shows: an interruption's dates, hours and duration first
        if notice is not None:
            if starts_at is None:
                raise InvalidRequestError("Une annonce de changement doit donner sa date d'effet.", chemin="dateEffet")
            check_notice(notice, now, starts_at)
            if notice.needs_window:
                if ends_at is None:
                    raise InvalidRequestError(
                        f"« {notice.libelle} » : donnez la fin prévue (dates, heures et durée sont annoncées).",
                        chemin="dateFin",
                    )
                if ends_at <= starts_at:
                    raise InvalidRequestError("La fin prévue précède le début.", chemin="dateFin")
                shown = f"{window_sentence(starts_at, ends_at)}\n\n{body}"
            if notice.needs_document:
                if document is None or not document.content:
                    raise InvalidRequestError(
                        f"« {notice.libelle} » : joignez la nouvelle version du document (elle est envoyée aux "
                        "opérateurs).",
                        chemin="document",
                    )
                name = self._file_name(document.name)
                if len(document.content) > MAX_FILE_BYTES:
                    raise InvalidRequestError(f"{name} dépasse 5 Mo.", chemin="document", valeur=name)
                attachment = MailAttachment(name, document.mime_type or "application/octet-stream", document.content)
        # Zipping the documentation pack takes a while: not while holding the write lock.
        pack = self._notices.doc_pack() if notice is not None and notice.sends_doc_pack and self._notices else None
        with self._store.write() as tx:
            news_id = tx.portal.add_news(
                kind=kind, title=title, body=shown, offer=offer, published_at=now, starts_at=starts_at
            )
            tx.audit.add(
                at=now, actor=author, action="portail.actualite", target=str(news_id),
                details={"type": kind, "titre": title, "offre": offer,
                         "effet": starts_at.isoformat() if starts_at else None},
            )  # fmt: skip
            if notice is not None and self._notices is not None:
                assert starts_at is not None
                self._notices.announce_notice(
                    tx, notice, news_id, title, body, offer=offer, starts_at=starts_at,
                    ends_at=ends_at if notice.needs_window else None, document=attachment, doc_pack=pack, at=now,
                )  # fmt: skip
        return news_id

    def publish_faq(self, question: str, answer: str, offer: str | None = None, *, author: str = "fournisseur") -> None:
        if not question.strip() or not answer.strip():
            raise InvalidRequestError("La question et la réponse sont obligatoires.", chemin="question")
        check_text(question, chemin="question", label="Question")
        check_text(answer, chemin="reponse", label="Réponse")
        with self._store.write() as tx:
            tx.portal.add_faq(offer, question.strip(), answer.strip())
            tx.audit.add(
                at=self._clock.now(), actor=author, action="portail.faq", target=offer or "*",
                details={"question": question.strip()},
            )  # fmt: skip

    def publish_file(self, operator_code: str, name: str, mime_type: str, content: bytes, author: str) -> FileRecord:
        """Publish a file for the operator (its "Mes fichiers", direction FOURNISSEUR); same name: new version."""
        self._operator_name(operator_code)
        if mime_type not in FILE_TYPES:
            raise InvalidRequestError(
                f"{name} : type « {mime_type} » refusé (PDF, CSV, texte, XML ou ZIP).", chemin="fichier", valeur=name
            )
        if len(content) > MAX_FILE_BYTES:
            raise InvalidRequestError(f"{name} dépasse 5 Mo.", chemin="fichier", valeur=name)
        now = self._clock.now()
        with self._store.write() as tx:
            record = tx.portal.add_file_version(
                operator_code=operator_code,
                direction="FOURNISSEUR",
                name=self._file_name(name),
                mime_type=mime_type,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                published_at=now,
                author=author,
            )
            tx.audit.add(
                at=now, actor=author, action="portail.fichier", target=operator_code,
                details={"nom": record.name, "version": record.version, "sha256": record.sha256},
            )  # fmt: skip
        return record

    def set_contract(
        self,
        operator_code: str,
        offer: str,
        reference: str,
        signed_on: date,
        *,
        files_provided: bool,
        summary: str = "",
        author: str = "fournisseur",
    ) -> ContractRecord:
        """Record the contract of an offer the operator takes (``signed_on`` starts its month of set-up) and
        whether it provides "Mes fichiers"; audited."""
        self._operator_name(operator_code)
        if not reference.strip():
            raise InvalidRequestError("La référence du contrat est obligatoire.", chemin="reference")
        with self._store.write() as tx:
            tx.portal.upsert_contract(
                operator_code,
                offer,
                reference.strip(),
                signed_on.isoformat(),
                summary.strip() or f"Contrat d'accès à l'offre {offer} et à e-SAV.",
                files_provided,
            )
            tx.audit.add(
                at=self._clock.now(), actor=author, action="portail.contrat", target=operator_code,
                details={"offre": offer, "reference": reference.strip(), "signe": signed_on.isoformat(),
                         "fichiers": files_provided},
            )  # fmt: skip
        found = self._store.contract(operator_code, offer)
        assert found is not None
        return found

    def issue_invoice(
        self,
        operator_code: str,
        number: str,
        issued_on: date,
        period: str,
        amount_cents: int,
        *,
        pdf: bytes | None = None,
        author: str = "fournisseur",
    ) -> None:
        """Record an invoice with its PDF duplicate: ``pdf`` as uploaded by the provider, or a generated
        PDF; audited. The number is unique."""
        name = self._operator_name(operator_code)
        number = number.strip()
        if not number:
            raise InvalidRequestError("Le numéro de facture est obligatoire.", chemin="numero")
        if self._store.has_invoice(number):
            raise InvalidRequestError(f"La facture {number} existe déjà.", chemin="numero", valeur=number)
        if amount_cents < 0:
            raise InvalidRequestError("Le montant ne peut pas être négatif.", chemin="montant")
        if pdf is not None and not pdf.startswith(b"%PDF-"):
            raise InvalidRequestError(f"Facture {number} : le fichier n'est pas un PDF.", chemin="pdf", valeur=number)
        if pdf is not None and len(pdf) > MAX_FILE_BYTES:
            raise InvalidRequestError(f"Facture {number} : le PDF dépasse 5 Mo.", chemin="pdf", valeur=number)
        if pdf is None:
            pdf = self._invoice_pdf(name, operator_code, number, issued_on, period, amount_cents)
        with self._store.write() as tx:
            tx.portal.add_invoice(operator_code, number, issued_on.isoformat(), period, amount_cents, pdf)
            tx.audit.add(
                at=self._clock.now(), actor=author, action="portail.facture", target=operator_code,
                details={"numero": number, "emise": issued_on.isoformat(), "montant_centimes": amount_cents},
            )  # fmt: skip

    @staticmethod
    def _invoice_pdf(
        name: str, operator_code: str, number: str, issued_on: date, period: str, amount_cents: int
    ) -> bytes:
        from ._pdf import text_pdf  # reportlab: imported by the first invoice, not by every process

        euros = f"{amount_cents // 100:,}".replace(",", "\u202f") + f",{amount_cents % 100:02d}\u00a0€"
        return text_pdf(
            f"Facture {number} (duplicata)",
            [
                f"Client : {name} ({operator_code})",
                f"Date d'émission : {issued_on:%d/%m/%Y}",
                f"Période facturée : {period}",
                f"Montant hors taxes : {euros}",
                "",
                "Duplicata délivré par l'Espace Opérateurs.",
            ],
        )

    # What the provider's staff see ---------------------------------------------------------------

    def all_news(self) -> list[NewsRecord]:
        """Everything published, newest first (the staff's view: no operator bound)."""
        return self._store.news(self._clock.now())

    def has_news(self, title: str) -> bool:
        """Whether a news item with this title was ever published (whatever its date)."""
        return self._store.has_news(title)

    def has_invoice(self, number: str) -> bool:
        return self._store.has_invoice(number)

    def all_faq(self) -> list[FaqRecord]:
        return self._store.faq()

    def files_of(self, operator_code: str) -> list[FileRecord]:
        """Every version of every file exchanged with an operator (both directions), without contents."""
        self._operator_name(operator_code)
        return self._store.files(operator_code)

    def invoices_of(self, operator_code: str) -> list[InvoiceRecord]:
        self._operator_name(operator_code)
        return self._store.invoices(operator_code, "0000-01-01")

    def contracts_of(self, operator_code: str) -> list[ContractRecord]:
        self._operator_name(operator_code)
        return self._store.contracts(operator_code)

    def _operator_name(self, operator_code: str) -> str:
        operator = self._store.get_operator(operator_code)
        if operator is None:
            raise InvalidRequestError(f"Opérateur {operator_code} inconnu.", chemin="operateur", valeur=operator_code)
        return operator.name

    # Helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _require(user: PortalUser, eservice: str) -> None:
        if eservice not in user.eservices:
            raise NotEntitledError(f"e-service {eservice} non ouvert à cet utilisateur.")

    @staticmethod
    def _file_name(raw: str) -> str:
        """The file's own name: no folders (a browser may send a full path), no control characters.

        A character XML cannot carry is refused (the name is shown on the pages and sent in headers);
        the others of the C0 set (tab, line breaks) and DEL are dropped."""
        check_text(raw, chemin="fichiers", label=f"Nom du fichier « {xml_safe(raw)[0]} »")
        name = _CONTROL.sub("", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()
        if not name or name in (".", ".."):
            raise InvalidRequestError("Un fichier doit avoir un nom.", chemin="fichiers")
        if len(name) > 200:
            raise InvalidRequestError(f"Nom de fichier trop long : {name[:40]}…", chemin="fichiers")
        return name
