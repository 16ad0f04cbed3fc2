"""The provider's staff pages (/fournisseur): news and notices, FAQ, files and invoices for an operator,
contracts, and e-SAV subscriptions.

Every action calls the same service method as ``esav portail`` (no second implementation of a rule)
with the agent as author, so that the audit trail names who did it. Only provider's agents reach
these pages (404 for operators' users).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from gateway.domain.clock import parse_instant
from gateway.domain.notices import NoticeKind
from gateway.domain.subscriptions import FIELDS
from gateway.errors import EsavError, InvalidRequestError
from gateway.services import AFTER_SALES, NEWS_KINDS, RATE_LIMIT_NEWS, ProviderAgent, UploadedFile

from ._app import STAFF_PREFIX, Context
from ._http import Response, redirect
from ._views_subscription import order_form, order_form_errors

__all__ = [
    "STAFF_NAV",
    "activate_subscription",
    "contract_submit",
    "contracts",
    "faq",
    "faq_submit",
    "file_submit",
    "files",
    "home",
    "invoice_submit",
    "invoices",
    "news",
    "news_submit",
    "register_subscription",
    "staff_navigation",
    "subscriptions",
    "terminate_subscription",
]

STAFF_NAV = [
    (STAFF_PREFIX, "Accueil fournisseur"),
    (f"{STAFF_PREFIX}/sav", "File SAV"),
    (f"{STAFF_PREFIX}/e-soutien", "e-soutien"),
    (f"{STAFF_PREFIX}/fichiers-operateurs", "Fichiers reçus"),
    (f"{STAFF_PREFIX}/actualites", "Actualités et annonces"),
    (f"{STAFF_PREFIX}/faq", "FAQ"),
    (f"{STAFF_PREFIX}/fichiers", "Fichiers"),
    (f"{STAFF_PREFIX}/factures", "Factures"),
    (f"{STAFF_PREFIX}/contrats", "Contrats"),
    (f"{STAFF_PREFIX}/abonnements", "Abonnements"),
    (f"{STAFF_PREFIX}/acces", "Accès"),
    (f"{STAFF_PREFIX}/evolutions", "Évolutions"),
]


def _offers(ctx: Context) -> list[str]:
    return ctx.gateway.catalogue.offers()


def _operators(ctx: Context) -> list[tuple[str, str]]:
    return [(o.code, o.name) for o in ctx.gateway.admin.list_operators()]


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequestError(f"Date « {text} » invalide : AAAA-MM-JJ attendu.", chemin=field) from None


def _instant(text: str) -> datetime | None:
    """A ``datetime-local`` value (no offset): Paris time; empty: None."""
    if not text.strip():
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise InvalidRequestError(f"Date « {text} » invalide : AAAA-MM-JJTHH:MM attendu.", chemin="dateEffet") from None


def _operator_choice(ctx: Context) -> tuple[list[tuple[str, str]], str | None]:
    """The operators to choose from, and the one the page is about (query or form), if it is one."""
    operators = _operators(ctx)
    chosen = ctx.request.arg("operateur") or ctx.request.field("operateur")
    return operators, chosen if chosen in {code for code, _ in operators} else None


def _operator_field(ctx: Context) -> str:
    code = ctx.request.field("operateur")
    if code not in {c for c, _ in _operators(ctx)}:
        raise InvalidRequestError("Choisissez un opérateur.", chemin="operateur", valeur=code)
    return code


def staff_navigation(agent: ProviderAgent) -> list[tuple[str, str]]:
    """The staff's menu: the work queue only for the after-sales role (its pages answer 404 to others)."""
    return [(href, label) for href, label in STAFF_NAV if href != f"{STAFF_PREFIX}/sav" or agent.has_role(AFTER_SALES)]


def home(ctx: Context) -> Response:
    return ctx.page("fournisseur/accueil.html", sections=staff_navigation(ctx.staff)[1:])


# News and announcements -------------------------------------------------------------------------


def news(
    ctx: Context,
    erreur: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    erreur_champ: str | None = None,
) -> Response:
    return ctx.page(
        "fournisseur/actualites.html",
        status=status,
        items=ctx.gateway.portal.all_news(),
        kinds={k: v for k, v in NEWS_KINDS.items() if k != RATE_LIMIT_NEWS},  # rate limits: esav quota fixer
        notices={k.value: k.notice for k in NoticeKind},
        offers=_offers(ctx),
        erreur=erreur,
        erreur_champ=erreur_champ,
        values=values or {},
    )


def news_submit(ctx: Context) -> Response:
    request = ctx.request
    values = {name: request.field(name) for name in ("type", "titre", "texte", "offre", "dateEffet", "dateFin")}
    parts = [p for p in request.files.get("document", []) if p.filename]
    document = UploadedFile(parts[0].filename, parts[0].content_type, parts[0].content) if parts else None
    try:
        ctx.gateway.portal.publish_news(
            values["type"],
            values["titre"],
            values["texte"],
            offer=values["offre"] or None,
            starts_at=_instant(values["dateEffet"]),
            author=ctx.staff.author,
            ends_at=_instant(values["dateFin"]),
            document=document,
        )
    except EsavError as exc:
        return news(ctx, erreur=exc.libelle, status=422, values=values, erreur_champ=exc.chemin)
    return redirect(f"{STAFF_PREFIX}/actualites", ok="publie")


# FAQ --------------------------------------------------------------------------------------------


def faq(
    ctx: Context,
    erreur: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    erreur_champ: str | None = None,
) -> Response:
    return ctx.page(
        "fournisseur/faq.html",
        status=status,
        entries=ctx.gateway.portal.all_faq(),
        offers=_offers(ctx),
        erreur=erreur,
        erreur_champ=erreur_champ,
        values=values or {},
    )


def faq_submit(ctx: Context) -> Response:
    request = ctx.request
    values = {name: request.field(name) for name in ("question", "reponse", "offre")}
    try:
        ctx.gateway.portal.publish_faq(
            values["question"], values["reponse"], values["offre"] or None, author=ctx.staff.author
        )
    except EsavError as exc:
        return faq(ctx, erreur=exc.libelle, status=422, values=values, erreur_champ=exc.chemin)
    return redirect(f"{STAFF_PREFIX}/faq", ok="publie")


# Files for an operator --------------------------------------------------------------------------


def files(
    ctx: Context,
    erreur: str | None = None,
    status: int = 200,
    published: object = None,
    erreur_champ: str | None = None,
) -> Response:
    operators, operator = _operator_choice(ctx)
    listing = ctx.gateway.portal.files_of(operator) if operator else []
    return ctx.page(
        "fournisseur/fichiers.html",
        status=status,
        operators=operators,
        operator=operator,
        files=listing,
        erreur=erreur,
        erreur_champ=erreur_champ,
        published=published,
    )


def file_submit(ctx: Context) -> Response:
    parts = [p for p in ctx.request.files.get("fichier", []) if p.filename]
    try:
        operator = _operator_field(ctx)
        if len(parts) != 1:
            raise InvalidRequestError("Choisissez un fichier.", chemin="fichier")
        part = parts[0]
        record = ctx.gateway.portal.publish_file(
            operator, part.filename, part.content_type, part.content, ctx.staff.author
        )
    except EsavError as exc:
        return files(ctx, erreur=exc.libelle, status=422, erreur_champ=exc.chemin)
    return files(ctx, published=record)


# Invoices ---------------------------------------------------------------------------------------


def _cents(text: str) -> int:
    try:
        amount = Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise InvalidRequestError(f"Montant « {text} » invalide (par exemple 1234,56).", chemin="montant") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidRequestError("Montant : deux décimales au plus.", chemin="montant")
    return int(amount * 100)


def invoices(
    ctx: Context,
    erreur: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    erreur_champ: str | None = None,
) -> Response:
    operators, operator = _operator_choice(ctx)
    listing = ctx.gateway.portal.invoices_of(operator) if operator else []
    return ctx.page(
        "fournisseur/factures.html",
        status=status,
        operators=operators,
        operator=operator,
        invoices=listing,
        erreur=erreur,
        erreur_champ=erreur_champ,
        values=values or {},
    )


def invoice_submit(ctx: Context) -> Response:
    request = ctx.request
    values = {name: request.field(name) for name in ("operateur", "numero", "date", "periode", "montant")}
    parts = [p for p in request.files.get("pdf", []) if p.filename]
    try:
        operator = _operator_field(ctx)
        if len(parts) != 1:
            raise InvalidRequestError("Joignez le PDF de la facture.", chemin="pdf")
        ctx.gateway.portal.issue_invoice(
            operator,
            values["numero"],
            _day(values["date"], "date"),
            values["periode"].strip(),
            _cents(values["montant"]),
            pdf=parts[0].content,
            author=ctx.staff.author,
        )
    except EsavError as exc:
        return invoices(ctx, erreur=exc.libelle, status=422, values=values, erreur_champ=exc.chemin)
    return redirect(f"{STAFF_PREFIX}/factures", operateur=operator, ok="publie")


# Contracts (offers taken, "Mes fichiers") -------------------------------------------------------


def contracts(ctx: Context, erreur: str | None = None, status: int = 200, erreur_champ: str | None = None) -> Response:
    operators, operator = _operator_choice(ctx)
    listing = ctx.gateway.portal.contracts_of(operator) if operator else []
    return ctx.page(
        "fournisseur/contrats.html",
        status=status,
        operators=operators,
        operator=operator,
        contracts=listing,
        offers=_offers(ctx),
        erreur=erreur,
        erreur_champ=erreur_champ,
    )


def contract_submit(ctx: Context) -> Response:
    request = ctx.request
    try:
        operator = _operator_field(ctx)
        offer = request.field("offre")
        if offer not in _offers(ctx):
            raise InvalidRequestError("Choisissez une offre.", chemin="offre", valeur=offer)
        ctx.gateway.portal.set_contract(
            operator,
            offer,
            request.field("reference"),
            _day(request.field("date"), "date"),
            files_provided=request.field("fichiers") == "oui",
            author=ctx.staff.author,
        )
    except EsavError as exc:
        return contracts(ctx, erreur=exc.libelle, status=422, erreur_champ=exc.chemin)
    return redirect(f"{STAFF_PREFIX}/contrats", operateur=operator, ok="publie")


# Subscriptions ----------------------------------------------------------------------------------


def subscriptions(
    ctx: Context,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    erreur: str | None = None,
) -> Response:
    return ctx.page(
        "fournisseur/abonnements.html",
        status=status,
        subscriptions=ctx.gateway.subscriptions.all(),
        operators=_operators(ctx),
        erreur=erreur,
        **order_form(values, errors),
    )


def register_subscription(ctx: Context) -> Response:
    request = ctx.request
    values = {name: request.field(name) for name in FIELDS}
    access = frozenset(request.fields("acces"))
    operator = request.field("operateur")
    try:
        ctx.gateway.subscriptions.register(operator, values, access, ctx.staff.author)
    except EsavError as exc:
        kept = {**values, "acces": " ".join(sorted(access)), "operateur": operator}
        return subscriptions(ctx, kept, order_form_errors(exc), status=422)
    return redirect(f"{STAFF_PREFIX}/abonnements", ok="abonnement")


def activate_subscription(ctx: Context, reference: str) -> Response:
    request = ctx.request
    try:
        ctx.gateway.subscriptions.activate(
            reference, _day(request.field("date"), "date"), frozenset(request.fields("acces")), ctx.staff.author
        )
    except EsavError as exc:
        return subscriptions(ctx, status=422, erreur=f"{reference} : {exc.libelle}")
    return redirect(f"{STAFF_PREFIX}/abonnements", ok="abonnement")


def terminate_subscription(ctx: Context, reference: str) -> Response:
    try:
        ctx.gateway.subscriptions.terminate(reference, author=ctx.staff.author)
    except EsavError as exc:
        return subscriptions(ctx, status=422, erreur=f"{reference} : {exc.libelle}")
    return redirect(f"{STAFF_PREFIX}/abonnements", ok="abonnement")
