"""The portal's URL map: every page and form, and which handler serves it."""

from __future__ import annotations

from gateway.services import Gateway

from . import _views_admin as admin
from . import _views_auth as auth
from . import _views_esav as esav
from . import _views_esav_history as esav_history
from . import _views_evolutions as evolutions
from . import _views_field as field
from . import _views_mail as mail
from . import _views_operator_files as operator_files
from . import _views_portal as portal
from . import _views_provider as provider
from . import _views_sav as sav
from . import _views_space as space
from . import _views_subscription as subscription
from . import _views_support as support
from ._app import STAFF_PREFIX, WebApp

__all__ = ["build_app"]


def build_app(gateway: Gateway) -> WebApp:
    app = WebApp(gateway, portal.navigation, provider.staff_navigation)
    app.route("GET", "/connexion", auth.login_form, login_required=False)
    app.route("POST", "/connexion", auth.login_submit, login_required=False)
    app.route("POST", "/deconnexion", auth.logout, shared=True)
    app.route("GET", "/", portal.home)
    app.route("GET", "/documents", portal.documents)
    app.route("GET", "/documents/{section}/{name}", portal.doc_file)
    app.route("GET", "/actualites", space.news)
    app.route("GET", "/contrats", space.contracts)
    app.route("GET", "/fichiers", space.files)
    app.route("POST", "/fichiers", space.upload_files)
    app.route("GET", "/fichiers/{file_id}", space.download_file)
    app.route("GET", "/duplicata", space.invoices)
    app.route("GET", "/duplicata/{invoice_id}", space.download_invoice)
    app.route("GET", "/faq", space.faq)
    app.route("GET", "/e-soutien", support.requests_page)
    app.route("POST", "/e-soutien", support.submit)
    app.route("GET", "/e-soutien/{reference}", support.my_thread)
    app.route("POST", "/e-soutien/{reference}", support.my_reply)
    app.route("GET", "/e-soutien/{reference}/pieces/{file_id}", support.my_file)
    # e-SAV en ligne
    app.route("GET", "/esav", esav.tickets)
    app.route("GET", "/esav/historique", esav_history.history)
    app.route("GET", "/esav/deposer", esav.deposit_form)
    app.route("POST", "/esav/deposer", esav.deposit_submit)
    app.route("GET", "/esav/signalisations/{reference}", esav.ticket_detail)
    app.route("GET", "/esav/signalisations/{reference}/pieces/{attachment_id}", esav.attachment)
    app.route("POST", "/esav/signalisations/{reference}/completer", esav.complete)
    app.route("POST", "/esav/signalisations/{reference}/annuler", esav.cancel)
    app.route("POST", "/esav/signalisations/{reference}/refuser-cloture", esav.refuse_closure)
    app.route("GET", "/esav/signalisations/{reference}/rendez-vous", field.slots)
    app.route("POST", "/esav/signalisations/{reference}/rendez-vous", field.book_slot)
    app.route("GET", "/esav/tests", field.test_form)
    app.route("POST", "/esav/tests", field.launch_test)
    app.route("GET", "/esav/tests/{reference}", field.test_result)
    app.route("GET", "/esav/reseau", field.network)
    app.route("GET", "/evolutions", evolutions.evolutions)
    app.route("POST", "/evolutions/actualiser", evolutions.refresh_evolutions)
    # The operator's administrator
    app.route("GET", "/abonnement", subscription.subscription_form)
    app.route("POST", "/abonnement", subscription.subscription_submit)
    app.route("GET", "/admin/utilisateurs", admin.users)
    app.route("POST", "/admin/utilisateurs", admin.create_user)
    app.route("GET", "/admin/utilisateurs/{user_id}", admin.edit_user)
    app.route("POST", "/admin/utilisateurs/{user_id}/profil", admin.save_profile)
    app.route("POST", "/admin/utilisateurs/{user_id}/statut", admin.set_status)
    app.route("POST", "/admin/utilisateurs/{user_id}/supprimer", admin.remove_user)
    app.route("GET", "/admin/adresses", mail.addresses)
    app.route("POST", "/admin/adresses", mail.add_address)
    app.route("POST", "/admin/adresses/retirer", mail.remove_address)
    # The provider's staff (agents only; 404 to operators' users)
    for method, path, handler in (
        ("GET", "", provider.home),
        ("GET", "/actualites", provider.news),
        ("POST", "/actualites", provider.news_submit),
        ("GET", "/faq", provider.faq),
        ("POST", "/faq", provider.faq_submit),
        ("GET", "/fichiers", provider.files),
        ("POST", "/fichiers", provider.file_submit),
        ("GET", "/factures", provider.invoices),
        ("POST", "/factures", provider.invoice_submit),
        ("GET", "/contrats", provider.contracts),
        ("POST", "/contrats", provider.contract_submit),
        ("GET", "/abonnements", provider.subscriptions),
        ("POST", "/abonnements", provider.register_subscription),
        ("POST", "/abonnements/{reference}/activer", provider.activate_subscription),
        ("POST", "/abonnements/{reference}/resilier", provider.terminate_subscription),
        ("GET", "/e-soutien", support.inbox),
        ("GET", "/e-soutien/{reference}", support.inbox_thread),
        ("POST", "/e-soutien/{reference}/prendre", support.inbox_take),
        ("POST", "/e-soutien/{reference}/repondre", support.inbox_reply),
        ("POST", "/e-soutien/{reference}/clore", support.inbox_close),
        ("GET", "/e-soutien/{reference}/pieces/{file_id}", support.inbox_file),
        ("GET", "/fichiers-operateurs", operator_files.received),
        ("GET", "/fichiers-operateurs/{file_id}", operator_files.download),
        # The after-sales work queue (agents with the SAV role)
        ("GET", "/sav", sav.queue),
        ("GET", "/sav/{reference}", sav.ticket),
        ("POST", "/sav/{reference}/action", sav.act),
        ("POST", "/sav/{reference}/commentaire", sav.comment),
        ("POST", "/sav/{reference}/pieces", sav.attach),
        ("GET", "/sav/{reference}/pieces/{attachment_id}", sav.attachment),
        ("GET", "/evolutions", evolutions.provider_evolutions),
        ("POST", "/evolutions/annoncer", evolutions.announce_evolution),
    ):
        app.route(method, STAFF_PREFIX + path, handler, staff=True)
    return app
