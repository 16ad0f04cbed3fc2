"""The e-mails that tell operators in time: each notice of the conditions, a rate limit, a renewed certificate.

Each ``announce_*`` runs inside the write transaction of the change it announces and queues one
message per operator concerned (``MailService.queue``), with what the conditions require it to carry:
dates, hours and durations of an interruption, the new version of a changed document, the updated
documentation pack of a web-service evolution, the delivered certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from gateway.domain.clock import Clock, to_paris
from gateway.domain.mail_lists import Topic
from gateway.domain.notices import NoticeKind
from gateway.store import CertificateRecord, MailAttachment, Store, WriteTransaction

from ._doc_pack import doc_pack_zip
from ._mail import Letter, MailService, paris_date, paris_day_time, spoken_duration

__all__ = ["DOC_PACK_NAME", "NoticeMailer"]

#: The name of the documentation pack attached to an evolution's announcement.
DOC_PACK_NAME = "documentation-esav.zip"

_INTROS = {
    NoticeKind.MAINTENANCE_PORTAIL: "Une opération de maintenance interrompra le portail Espace Opérateurs.",
    NoticeKind.INTERRUPTION_ESAV: "Des travaux programmés interrompront le service e-SAV (web services et e-SAV en "
    "ligne). Pendant l'interruption, la procédure de dépôt prévue par vos contrats reste disponible.",
    NoticeKind.CHANGEMENT_ACCES_PORTAIL: "L'adresse, le mode d'authentification ou de chiffrement du portail Espace "
    "Opérateurs change.",
    NoticeKind.CHANGEMENT_ACCES_ESAV: "L'adresse (URL ou IP), les éléments d'identification, le mode "
    "d'authentification ou de chiffrement d'e-SAV changent.",
    NoticeKind.EVOLUTION_MINEURE: "Une évolution mineure des web services e-SAV entrera en vigueur.",
    NoticeKind.EVOLUTION_MAJEURE: "Une évolution majeure des web services e-SAV entrera en vigueur.",
    NoticeKind.CHANGEMENT_CONDITIONS: "Les conditions spécifiques d'e-SAV sont modifiées.",
    NoticeKind.CHANGEMENT_CONDITIONS_ESPACE: "Les conditions spécifiques de l'Espace Opérateurs sont modifiées.",
    NoticeKind.CHANGEMENT_ANNEXES_ESAV: "Une annexe des conditions d'e-SAV (périmètre ou liste des documents) est "
    "modifiée.",
    NoticeKind.CHANGEMENT_BON_DE_COMMANDE: "Le bon de commande e-SAV (annexe 3 des conditions) évolue.",
}
_ON_PORTAL = "Cette annonce est aussi publiée sur l'Espace Opérateurs, rubrique Actualités."


def window_facts(start: datetime, end: datetime) -> tuple[tuple[str, str], ...]:
    """Dates, hours and duration of an interruption, as the conditions ask them to be given."""
    return (
        ("Début", paris_day_time(start)),
        ("Fin prévue", paris_day_time(end)),
        ("Durée prévisionnelle", spoken_duration(end - start)),
    )


def window_sentence(start: datetime, end: datetime) -> str:
    """The same in one sentence, for the portal's news."""
    return (
        f"Du {to_paris(start):%d/%m/%Y à %H:%M} au {to_paris(end):%d/%m/%Y à %H:%M} (heure de Paris) ; "
        f"durée prévisionnelle : {spoken_duration(end - start)}."
    )


class NoticeMailer:
    """Who is concerned by each announcement, and the message each receives."""

    def __init__(
        self, store: Store, clock: Clock, mail: MailService, doc_pack: Callable[[], bytes] = doc_pack_zip
    ) -> None:
        self._store = store
        self._clock = clock
        self._mail = mail
        self._doc_pack = doc_pack

    def doc_pack(self) -> MailAttachment:
        """The documentation pack as the attachment an evolution's announcement carries."""
        return MailAttachment(DOC_PACK_NAME, "application/zip", self._doc_pack())

    def concerned(self, kind: NoticeKind, offer: str | None = None) -> list[str]:
        """Operators an announcement of ``kind`` (about ``offer``, if given) is for: every operator for the
        portal, e-SAV's subscribers for e-SAV, those of e-SAV intégré for the web services."""
        codes = []
        for operator in self._store.list_operators():
            if kind.sends_doc_pack or kind is NoticeKind.CHANGEMENT_ACCES_ESAV:
                if not operator.esav_integre:
                    continue
            elif kind.esav and not (operator.esav_en_ligne or operator.esav_integre):
                continue
            if offer is not None and offer not in self._offers(operator.code):
                continue
            codes.append(operator.code)
        return codes

    def announce_notice(
        self,
        tx: WriteTransaction,
        kind: NoticeKind,
        news_id: int,
        title: str,
        body: str,
        *,
        offer: str | None,
        starts_at: datetime,
        ends_at: datetime | None = None,
        document: MailAttachment | None = None,
        doc_pack: MailAttachment | None = None,
        at: datetime,
        operators: list[str] | None = None,
    ) -> list[int]:
        """Queue the announcement of a published notice to every operator concerned; the message ids.
        ``doc_pack``: the documentation pack (``doc_pack()``), built before the transaction by a caller
        that cares how long it holds the write lock."""
        facts: list[tuple[str, str]] = []
        if ends_at is not None:
            facts += window_facts(starts_at, ends_at)
        else:
            facts.append(("Date d'effet", paris_day_time(starts_at)))
        facts += [("Publiée", paris_day_time(at)), ("Préavis", kind.notice)]
        if offer:
            facts.append(("Offre concernée", offer))
        attachments: list[MailAttachment] = []
        closing = [_ON_PORTAL]
        if document is not None:
            attachments.append(document)
            closing.insert(0, f"La nouvelle version du document est jointe à ce message ({document.name}).")
        if kind.sends_doc_pack:
            attachments.append(doc_pack or self.doc_pack())
            closing.insert(0, f"La documentation technique et fonctionnelle mise à jour est jointe ({DOC_PACK_NAME}).")
        letter = Letter(
            subject=f"[e-SAV] {kind.libelle} : {title}"
            if title.casefold() != kind.libelle.casefold()
            else f"[e-SAV] {title}",
            paragraphs=(_INTROS[kind], title, *[p for p in body.split("\n\n") if p.strip()]),
            facts=tuple(facts),
            closing=tuple(closing),
        )
        ids = []
        for code in self.concerned(kind, offer) if operators is None else operators:
            queued = self._mail.queue(tx, code, kind.topic, f"actualite/{news_id}", letter, attachments, at=at)
            if queued is not None:
                ids.append(queued)
        return ids

    def announce_rate_limit(
        self,
        tx: WriteTransaction,
        limit_id: int,
        operator_code: str,
        per_minute: int,
        *,
        effective_from: datetime,
        announcement: str,
        emergency_reason: str | None,
        at: datetime,
    ) -> int | None:
        """Queue the announcement of a rate limit to its operator."""
        facts = [
            ("Limite", f"{per_minute} requêtes par minute"),
            ("En vigueur", f"à partir du {paris_day_time(effective_from, article=False)}"),
            ("Annoncée", paris_day_time(at)),
        ]
        paragraphs = [
            "Pour garantir le bon fonctionnement d'e-SAV, le nombre de vos requêtes par minute sera limité "
            "jusqu'au retour au fonctionnement nominal.",
            announcement,
        ]
        if emergency_reason is not None:
            facts.append(("Urgence", emergency_reason))
            paragraphs.insert(1, "Cette limitation est appliquée en urgence, sans le préavis d'une journée habituel.")
        letter = Letter(
            subject=f"[e-SAV] Limitation du nombre de requêtes : {per_minute} par minute",
            paragraphs=tuple(paragraphs),
            facts=tuple(facts),
            closing=(
                "Au-delà, les appels reçoivent l'erreur LIMITE_REQUETES avec le délai à attendre.",
                _ON_PORTAL,
            ),
        )
        return self._mail.queue(tx, operator_code, Topic.QUOTAS, f"quota/{limit_id}", letter, at=at)

    def announce_certificate(
        self,
        tx: WriteTransaction,
        new: CertificateRecord,
        pem: str,
        previous: CertificateRecord | None,
        *,
        provider_issued: bool,
        at: datetime,
    ) -> int | None:
        """Queue the delivery notice of a renewed certificate (or the acknowledgement of the operator's own)."""
        facts = [
            ("Empreinte SHA-256", new.fingerprint),
            ("Sujet", new.subject_cn),
            ("Émetteur", new.issuer_cn),
            ("Valide du", paris_day_time(new.not_before, article=False)),
            ("Valide jusqu'au", paris_day_time(new.not_after, article=False)),
        ]
        paragraphs = [
            "Votre nouveau certificat d'authentification e-SAV est émis et enregistré : vous pouvez l'installer dès "
            "maintenant sur votre système d'information."
            if provider_issued
            else "Le nouveau certificat d'authentification e-SAV que vous nous avez transmis est enregistré.",
        ]
        if previous is not None:
            facts.append(
                ("Certificat en cours", f"{previous.fingerprint[:16]}…, expire {paris_day_time(previous.not_after)}")
            )
            paragraphs.append(
                "Les deux certificats sont acceptés jusqu'à l'expiration du certificat en cours ; au-delà, seul le "
                "nouveau l'est."
            )
        closing = ["Le certificat (partie publique, PEM) est joint."]
        if provider_issued:
            closing.append("Sa clé privée vous est remise par le canal habituel, jamais par courrier électronique.")
        letter = Letter(
            subject=f"[e-SAV] Certificat d'authentification renouvelé (expire le {paris_date(new.not_after)})",
            paragraphs=tuple(paragraphs),
            facts=tuple(facts),
            closing=tuple(closing),
        )
        attachment = MailAttachment(f"{new.operator_code}-{new.fingerprint[:8]}.pem", "application/x-pem-file",
                                    pem.encode())  # fmt: skip
        return self._mail.queue(
            tx, new.operator_code, Topic.CERTIFICATS, f"certificat/{new.fingerprint}", letter, [attachment], at=at
        )

    def remind_certificate(self, tx: WriteTransaction, cert: CertificateRecord, *, at: datetime) -> int | None:
        """Queue, once per certificate, the reminder that it expires without a successor."""
        letter = Letter(
            subject=f"[e-SAV] Certificat d'authentification à renouveler (expire le {paris_date(cert.not_after)})",
            paragraphs=(
                "Votre certificat d'authentification e-SAV expire bientôt et aucun certificat ne lui succède encore.",
                "Sans nouveau certificat à son expiration, vos appels aux web services seront refusés.",
            ),
            facts=(
                ("Empreinte SHA-256", cert.fingerprint),
                ("Sujet", cert.subject_cn),
                ("Expire", paris_day_time(cert.not_after)),
            ),
            closing=("Transmettez-nous votre nouveau certificat, ou demandez-nous d'en émettre un.",),
        )
        return self._mail.queue(tx, cert.operator_code, Topic.CERTIFICATS, f"rappel-certificat/{cert.fingerprint}",
                                letter, at=at)  # fmt: skip

    def _offers(self, operator_code: str) -> set[str]:
        held = {p.code_offre for p in self._store.list_prestations(operator_code)}
        return held | {c.offer for c in self._store.contracts(operator_code)}
