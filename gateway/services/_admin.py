"""The provider's administration: operators, their certificates, their prestations."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from gateway.domain.clock import Clock
from gateway.domain.gtr import GtrOption
from gateway.domain.xml_text import first_non_xml_char
from gateway.errors import ErrorDetail, InvalidRequestError
from gateway.security import pki
from gateway.store import CertificateRecord, OperatorRecord, PrestationRecord, Store

from ._access import DOMAINS
from ._text import check_text, non_xml_problem

#: Who a provider action is recorded as when the caller does not say (the CLI passes its user).
DEFAULT_AUTHOR = "fournisseur"

__all__ = ["PRESTATION_CSV_COLUMNS", "AdminService"]

PRESTATION_CSV_COLUMNS = (
    "identifiantPrestation",
    "operateur",
    "codeOffre",
    "gtr",
    "extremiteA",
    "extremiteB",
    "codeCommune",
    "informationsComplementaires",
)
_REQUIRED = ("identifiantPrestation", "operateur", "codeOffre", "gtr", "extremiteA", "extremiteB")


class AdminService:
    """Operators, certificates and prestations, as the provider manages them."""

    def __init__(self, store: Store, clock: Clock, offers: Iterable[str]) -> None:
        self._store = store
        self._clock = clock
        self._offers = frozenset(offers)

    # Operators ---------------------------------------------------------------------------------

    def add_operator(
        self,
        code: str,
        name: str,
        *,
        esav_en_ligne: bool = True,
        esav_integre: bool = True,
        domains: Sequence[str] = (),
        author: str = DEFAULT_AUTHOR,
    ) -> OperatorRecord:
        """Create a new operator; an existing code is refused (``update_operator`` changes one)."""
        if not code or not code.isalnum() or not code.isupper() or len(code) > 10:
            raise InvalidRequestError(
                f"Code opérateur « {code} » invalide : lettres majuscules et chiffres, 10 au plus.", chemin="code"
            )
        name = _operator_name(name)
        check_text(author, chemin="auteur", label="Auteur")
        unknown = set(domains) - set(DOMAINS)
        if unknown:
            raise InvalidRequestError(
                f"Domaine(s) inconnu(s) : {', '.join(sorted(unknown))} (connus : {', '.join(DOMAINS)}).",
                chemin="domaines",
            )
        now = self._clock.now()
        with self._store.write() as tx:
            created = tx.operators.insert(
                code, name, esav_en_ligne=esav_en_ligne, esav_integre=esav_integre, domains=domains, at=now
            )
            if not created:  # checked by the INSERT itself, inside the transaction: no race with another add
                existing = tx.operators.get(code)
                raise InvalidRequestError(
                    f"L'opérateur {code} existe déjà ({existing.name if existing else '?'}) : rien n'est changé. "
                    "Pour changer son nom ou ses accès : « esav operateurs modifier ».",
                    chemin="code",
                    valeur=code,
                )
            tx.audit.add(
                at=now, actor=author, action="operateur.enregistrement", target=code,
                details={"nom": name, "en_ligne": esav_en_ligne, "integre": esav_integre, "domaines": sorted(domains)},
            )  # fmt: skip
        return self.operator(code)

    def update_operator(
        self,
        code: str,
        *,
        name: str | None = None,
        esav_en_ligne: bool | None = None,
        esav_integre: bool | None = None,
        author: str = DEFAULT_AUTHOR,
    ) -> OperatorRecord:
        """Change an existing operator's name or subscriptions; its validated domains are left as they are."""
        check_text(author, chemin="auteur", label="Auteur")
        now = self._clock.now()
        with self._store.write() as tx:
            before = self._found(code, tx.operators.get(code))  # the values changed are the values read
            after = {
                "nom": before.name if name is None else _operator_name(name),
                "en_ligne": before.esav_en_ligne if esav_en_ligne is None else esav_en_ligne,
                "integre": before.esav_integre if esav_integre is None else esav_integre,
            }
            was = {"nom": before.name, "en_ligne": before.esav_en_ligne, "integre": before.esav_integre}
            changes = {key: {"avant": was[key], "apres": value} for key, value in after.items() if value != was[key]}
            if not changes:
                raise InvalidRequestError(
                    f"Opérateur {code} : rien à changer (--nom, --en-ligne/--sans-en-ligne, --integre/--sans-integre).",
                    chemin="operateur",
                    valeur=code,
                )
            tx.operators.update(
                code,
                name=str(after["nom"]),
                esav_en_ligne=bool(after["en_ligne"]),
                esav_integre=bool(after["integre"]),
            )
            tx.audit.add(at=now, actor=author, action="operateur.modification", target=code, details=changes)
        return self.operator(code)

    def list_operators(self) -> list[OperatorRecord]:
        return self._store.list_operators()

    def operator(self, code: str) -> OperatorRecord:
        return self._found(code, self._store.get_operator(code))

    @staticmethod
    def _found(code: str, operator: OperatorRecord | None) -> OperatorRecord:
        if operator is None:
            raise InvalidRequestError(f"Opérateur {code} inconnu.", chemin="operateur", valeur=code)
        return operator

    # Certificates ------------------------------------------------------------------------------

    def issue_certificate(
        self, operator_code: str, ca: pki.IssuedCertificate, *, valid_days: int = 730, author: str = DEFAULT_AUTHOR
    ) -> pki.IssuedCertificate:
        """Issue a client certificate from the provider's CA and register it to the operator."""
        operator = self.operator(operator_code)
        issued = pki.issue_client_certificate(
            ca, operator.code, operator.name, valid_days=valid_days, now=self._clock.now()
        )
        self._register(operator.code, issued.cert_pem, "certificat.emission", author)
        return issued

    def register_certificate(
        self, operator_code: str, cert_pem: bytes, trusted_ca_pems: Sequence[bytes], *, author: str = DEFAULT_AUTHOR
    ) -> CertificateRecord:
        """Register a certificate (ours or from a recognised CA) after checking its chain and dates."""
        operator = self.operator(operator_code)
        pki.verify_issued_by(cert_pem, trusted_ca_pems, now=self._clock.now())
        return self._register(operator.code, cert_pem, "certificat.enregistrement", author)

    def _register(self, operator_code: str, cert_pem: bytes, action: str, author: str) -> CertificateRecord:
        leaf_pem = pki.load_certificates(cert_pem)[0]
        info = pki.certificate_info(cert_pem)
        now = self._clock.now()
        with self._store.write() as tx:
            tx.certificates.add(
                fingerprint=info.fingerprint,
                operator_code=operator_code,
                subject_cn=info.subject_cn or "",
                issuer_cn=info.issuer_cn or "",
                serial=str(info.serial),
                not_before=info.not_before,
                not_after=info.not_after,
                pem=leaf_pem.public_bytes(Encoding.PEM).decode(),
                at=now,
            )
            tx.audit.add(
                at=now, actor=author, action=action, target=info.fingerprint,
                details={"operateur": operator_code, "emetteur": info.issuer_cn, "expire": info.not_after.isoformat()},
            )  # fmt: skip
        record = self._store.get_certificate(info.fingerprint)
        assert record is not None
        return record

    def revoke_certificate(self, fingerprint: str, *, author: str = DEFAULT_AUTHOR) -> CertificateRecord:
        """Revoke at once: the next request with it is refused."""
        fingerprint = fingerprint.replace(":", "").lower()
        now = self._clock.now()
        with self._store.write() as tx:
            record = tx.certificates.get(fingerprint)
            if record is None:
                raise InvalidRequestError(f"Certificat {fingerprint} inconnu.", chemin="empreinte", valeur=fingerprint)
            tx.certificates.revoke(fingerprint, now)
            tx.audit.add(
                at=now, actor=author, action="certificat.revocation", target=fingerprint,
                details={"operateur": record.operator_code},
            )  # fmt: skip
        revoked = self._store.get_certificate(fingerprint)
        assert revoked is not None
        return revoked

    def list_certificates(self, operator_code: str | None = None) -> list[CertificateRecord]:
        return self._store.list_certificates(operator_code)

    # Prestations -------------------------------------------------------------------------------

    def import_prestations(self, source: Path | str, text: str | None = None, *, author: str = DEFAULT_AUTHOR) -> int:
        """Import (create or update) prestations from a ``;``-separated CSV with a header line.

        Every bad line is reported as ``FILE:LINE``; nothing is imported unless all lines are good. A
        line may update a prestation of the same operator, never give it to another one (that is
        ``transfer_prestation``), and a file names each prestation once.
        """
        name = str(source)
        if text is None:
            try:
                text = Path(source).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidRequestError(f"{name} : illisible ({exc}).") from None
        reader = csv.DictReader(io.StringIO(text), delimiter=";")
        try:
            fieldnames = reader.fieldnames or []
        except csv.Error as exc:
            raise InvalidRequestError(
                f"{name}, ligne 1 : {_csv_problem(exc)}.", details=[ErrorDetail(f"{name}:1", _csv_problem(exc), 1)]
            ) from None
        missing = [c for c in _REQUIRED if c not in fieldnames]
        if missing:
            raise InvalidRequestError(
                f"{name}, ligne 1 : colonnes manquantes : {', '.join(missing)} "
                f"(attendu : {';'.join(PRESTATION_CSV_COLUMNS)}).",
                details=[ErrorDetail(f"{name}:1", f"colonne manquante {c}", 1) for c in missing],
            )
        operators = {o.code for o in self._store.list_operators()}
        problems: list[ErrorDetail] = []
        records: dict[str, tuple[int, PrestationRecord]] = {}  # identifiant → (line, record)
        first_line: dict[str, int] = {}
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:  # the reader cannot go on past such a line: report it and stop
                line = reader.line_num + 1  # the bad line is not counted yet
                problems.append(ErrorDetail(f"{name}:{line}", _csv_problem(exc), line))
                break
            line = reader.line_num
            line_problems = _check_row(row, operators, self._offers)
            identifiant = (row.get("identifiantPrestation") or "").strip()
            if identifiant and identifiant in first_line:
                line_problems.append(
                    f"prestation {identifiant} déjà à la ligne {first_line[identifiant]} de ce fichier"
                )
            elif identifiant:
                first_line[identifiant] = line
            problems += [ErrorDetail(f"{name}:{line}", p, line) for p in line_problems]
            if not line_problems:
                records[identifiant] = (
                    line,
                    PrestationRecord(
                        identifiant=identifiant,
                        operator_code=row["operateur"].strip(),
                        code_offre=row["codeOffre"].strip(),
                        gtr=row["gtr"].strip(),
                        extremite_a=row["extremiteA"].strip(),
                        extremite_b=row["extremiteB"].strip(),
                        code_commune=(row.get("codeCommune") or "").strip() or None,
                        informations=(row.get("informationsComplementaires") or "").strip() or None,
                    ),
                )
        now = self._clock.now()
        with self._store.write() as tx:
            # Owners are checked inside the write transaction: no transfer can slip in between.
            for line, record in records.values():
                current = tx.prestations.get(record.identifiant)
                if current is not None and current.operator_code != record.operator_code:
                    problems.append(
                        ErrorDetail(
                            f"{name}:{line}",
                            f"prestation {record.identifiant} : appartient à {current.operator_code}, la ligne la "
                            f"donne à {record.operator_code} ; un changement de titulaire se fait par "
                            "« esav prestations transferer »",
                            line,
                        )
                    )
            if problems:
                problems.sort(key=lambda d: d.ligne or 0)
                raise InvalidRequestError(
                    f"{name} : {len({d.ligne for d in problems})} ligne(s) invalide(s), rien n'a été importé.",
                    details=problems,
                )
            count = tx.prestations.upsert_all(record for _, record in records.values())
            tx.audit.add(at=now, actor=author, action="prestations.import", target=name, details={"prestations": count})
        return count

    def transfer_prestation(
        self, identifiant: str, to_operator: str, *, reason: str, author: str = DEFAULT_AUTHOR
    ) -> PrestationRecord:
        """Give a prestation to another operator, audited with its reason.

        Tickets already deposited stay the old owner's, showing the prestation as it was at their
        deposit; the new owner deposits its own from now on.
        """
        reason = reason.strip()
        if not reason:
            raise InvalidRequestError("Le motif du transfert est obligatoire.", chemin="motif")
        target = self.operator(to_operator)
        now = self._clock.now()
        with self._store.write() as tx:
            current = self._prestation(identifiant, tx.prestations.get(identifiant))  # the owner being replaced
            if current.operator_code == target.code:
                raise InvalidRequestError(
                    f"La prestation {identifiant} appartient déjà à {target.code} : rien à transférer.",
                    chemin="operateur",
                    valeur=target.code,
                )
            tx.prestations.set_operator(identifiant, target.code)
            tx.audit.add(
                at=now, actor=author, action="prestation.transfert", target=identifiant,
                details={"de": current.operator_code, "vers": target.code, "motif": reason},
            )  # fmt: skip
        transferred = self._store.get_prestation(identifiant)
        assert transferred is not None
        return transferred

    def prestation(self, identifiant: str) -> PrestationRecord:
        return self._prestation(identifiant, self._store.get_prestation(identifiant))

    @staticmethod
    def _prestation(identifiant: str, found: PrestationRecord | None) -> PrestationRecord:
        if found is None:
            raise InvalidRequestError(
                f"Prestation {identifiant} inconnue.", chemin="identifiantPrestation", valeur=identifiant
            )
        return found

    def list_prestations(self, operator_code: str | None = None) -> list[PrestationRecord]:
        return self._store.list_prestations(operator_code)


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"champ trop long (plus de {csv.field_size_limit()} caractères)"
    return f"ligne illisible en CSV ({error})"


def _check_row(row: dict[str, str | None], operators: set[str], offers: frozenset[str]) -> list[str]:
    # First, and alone: the other messages quote the values.
    problems = [
        non_xml_problem(f"colonne {column}", bad)
        for column, value in row.items()
        if isinstance(column, str) and isinstance(value, str) and (bad := first_non_xml_char(value)) is not None
    ]
    if problems:
        return problems
    problems = [f"{c} est vide" for c in _REQUIRED if not (row.get(c) or "").strip()]
    if problems:
        return problems
    if row["operateur"].strip() not in operators:  # type: ignore[union-attr]
        problems.append(f"opérateur {row['operateur']} inconnu")
    if row["codeOffre"].strip() not in offers:  # type: ignore[union-attr]
        problems.append(f"offre {row['codeOffre']} inconnue (connues : {', '.join(sorted(offers))})")
    if row["gtr"].strip() not in {g.value for g in GtrOption}:  # type: ignore[union-attr]
        problems.append(f"GTR {row['gtr']} inconnue (connues : {', '.join(g.value for g in GtrOption)})")
    commune = (row.get("codeCommune") or "").strip()
    if commune and not (len(commune) == 5 and commune[:2].isalnum() and commune[2:].isdigit()):
        problems.append(f"code commune INSEE {commune} invalide (5 caractères)")
    return problems


def _operator_name(name: str) -> str:
    check_text(name, chemin="nom", label="Nom de l'opérateur")
    name = name.strip()
    if not name:
        raise InvalidRequestError("Le nom de l'opérateur est vide.", chemin="nom")
    return name
