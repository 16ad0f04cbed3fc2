"""``esav wsdl figer`` and ``esav wsdl verifier``: the published contracts of ``wsdl/{version}/`` (contract §2).

Every service of ``gateway.server.ENDPOINTS`` has its WSDL generated in-process from its spyne
Application (no server, no network) and brought to a stable form:

- the ``soap:address`` location is the fixed placeholder ``https://localhost:8443/esav/{version}/{service}``
  (the real host and port depend on the installation);
- the top-level components of each ``xs:schema`` are sorted by kind and name, since spyne emits them in
  an order that changes from one process to the next (set iteration) and that order means nothing;
- the result is canonical XML (C14N 1.0, whitespace between elements dropped).

``freeze`` writes that form, pretty-printed, as ``wsdl/{version}/{service}.wsdl``. ``check`` compares
the canonical forms and explains each difference with a unified diff of their pretty-printed lines.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click
from lxml import etree
from spyne.server.wsgi import WsgiApplication

from gateway._resources import shipped_wsdl
from gateway.services import Gateway, contracts_fingerprint

from ._common import data_option, echo, esav_errors, open_gateway, provider_author, settings_from
from ._language import EsavCommand, EsavGroup

__all__ = [
    "ContractDifference",
    "canonical_wsdl",
    "check_contracts",
    "contract_path",
    "default_wsdl_dir",
    "freeze_contracts",
    "generate_wsdls",
    "placeholder_url",
    "wsdl",
    "wsdl_of",
]

_XS = "http://www.w3.org/2001/XMLSchema"
_SOAP_ADDRESSES = ("{http://schemas.xmlsoap.org/wsdl/soap/}address", "{http://schemas.xmlsoap.org/wsdl/soap12/}address")
#: Contracts are data: no DTD, no entity, no network, even for files of the checkout.
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False)

Endpoint = tuple[str, str]  # (version, service)


def default_wsdl_dir() -> Path:
    """The shipped ``wsdl/`` folder (the repository's in a checkout)."""
    return shipped_wsdl()


def placeholder_url(version: str, service: str) -> str:
    """The endpoint address written in frozen WSDLs, whatever the installation's host and port."""
    return f"https://localhost:8443/esav/{version}/{service}"


def generate_wsdls(endpoints: Mapping[Endpoint, object] | None = None) -> dict[Endpoint, bytes]:
    """The WSDL of every endpoint (default: ``ENDPOINTS``), generated in-process by spyne."""
    if endpoints is None:
        from gateway.server import ENDPOINTS  # the server's list, imported late: it pulls in Twisted
        from gateway.ws.v2 import notification  # published for operators' endpoints, not served (§12)

        endpoints = {**ENDPOINTS, ("v2", "notification"): notification}
    documents = {}
    with tempfile.TemporaryDirectory(prefix="esav-wsdl-") as scratch:
        # Applications close over a gateway but never call it to describe themselves: a throwaway one.
        gateway = Gateway.open(Path(scratch) / "wsdl.db")
        try:
            for (version, service), module in endpoints.items():
                application = module.build_application(gateway)  # type: ignore[attr-defined]
                documents[(version, service)] = wsdl_of(application, version, service)
        finally:
            gateway.close()
    return documents


def wsdl_of(application: object, version: str, service: str) -> bytes:
    """One Application's WSDL as the server publishes it (hosted by spyne's WSGI server, which declares
    the HTTP transport), at the placeholder address."""
    document = WsgiApplication(application).doc.wsdl11
    document.build_interface_document(placeholder_url(version, service))
    return bytes(document.get_interface_document())


def canonical_wsdl(document: bytes, version: str, service: str) -> bytes:
    """The stable canonical form (C14N 1.0) of a WSDL: placeholder address, schema components sorted."""
    root = etree.fromstring(document, _PARSER)
    for tag in _SOAP_ADDRESSES:
        for address in root.iter(tag):
            address.set("location", placeholder_url(version, service))
    for schema in root.iter(f"{{{_XS}}}schema"):
        components = list(schema)
        for component in components:
            schema.remove(component)
        components.sort(key=_component_key)
        schema.extend(components)
    return etree.tostring(root, method="c14n")


def _component_key(element: etree._Element) -> tuple[bool, str, str]:
    kind = etree.QName(element).localname if isinstance(element.tag, str) else ""
    # Imports come first (a schema requires it); the rest by kind, then name.
    return (kind != "import", kind, element.get("name") or element.get("namespace") or "")


def _pretty(canonical: bytes) -> str:
    return etree.tostring(etree.fromstring(canonical, _PARSER), pretty_print=True, encoding="unicode")


@dataclass(frozen=True)
class ContractDifference:
    """A frozen contract that the code no longer generates exactly."""

    version: str
    service: str
    path: Path
    problem: str  # a sentence for people
    diff: str = ""  # unified diff, frozen (---) to generated (+++)

    def explain(self) -> str:
        return f"{self.version}/{self.service} ({self.path}) : {self.problem}" + (f"\n{self.diff}" if self.diff else "")


def contract_path(wsdl_dir: Path, version: str, service: str) -> Path:
    return wsdl_dir / version / f"{service}.wsdl"


def check_contracts(wsdl_dir: Path, generated: Mapping[Endpoint, bytes]) -> list[ContractDifference]:
    """Compare generated WSDLs with the frozen files; every missing, extra or changed contract is a difference."""
    differences = []
    for (version, service), document in sorted(generated.items()):
        path = contract_path(wsdl_dir, version, service)
        if not path.is_file():
            differences.append(
                ContractDifference(version, service, path, "aucun contrat figé : lancez « esav wsdl figer ».")
            )
            continue
        frozen = canonical_wsdl(path.read_bytes(), version, service)
        now = canonical_wsdl(document, version, service)
        if frozen != now:
            diff = "\n".join(
                difflib.unified_diff(
                    _pretty(frozen).splitlines(),
                    _pretty(now).splitlines(),
                    fromfile=f"{path} (figé)",
                    tofile=f"{version}/{service} (généré)",
                    lineterm="",
                )
            )
            differences.append(ContractDifference(version, service, path, "le contrat généré a changé.", diff))
    for path in sorted(wsdl_dir.glob("*/*.wsdl")):
        version, service = path.parent.name, path.stem
        if (version, service) not in generated:
            differences.append(
                ContractDifference(version, service, path, "contrat figé d'un service qui n'est plus publié.")
            )
    return differences


def freeze_contracts(wsdl_dir: Path, generated: Mapping[Endpoint, bytes]) -> list[tuple[Path, bool]]:
    """Write each generated WSDL in its stable form; returns (path, changed) per file."""
    written = []
    for (version, service), document in sorted(generated.items()):
        path = contract_path(wsdl_dir, version, service)
        canonical = canonical_wsdl(document, version, service)
        changed = not path.is_file() or canonical_wsdl(path.read_bytes(), version, service) != canonical
        path.parent.mkdir(parents=True, exist_ok=True)
        tree = etree.fromstring(canonical, _PARSER)
        path.write_bytes(etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8"))
        written.append((path, changed))
    return written


_dir_option = click.option(
    "--dossier",
    "--dir",
    "wsdl_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier des contrats figés (défaut : wsdl/ du dépôt).",
)


@click.group(cls=EsavGroup)
def wsdl() -> None:
    """Contrats WSDL publiés (wsdl/v1, wsdl/v2) : les figer, vérifier que le code les génère encore."""


@wsdl.command("figer", aliases=["freeze"])
@_dir_option
def freeze(wsdl_dir: Path | None) -> None:
    """Écrire le WSDL de chaque service de chaque version dans wsdl/{version}/{service}.wsdl."""
    target = wsdl_dir or default_wsdl_dir()
    for path, changed in freeze_contracts(target, generate_wsdls()):
        echo(f"{'écrit    ' if changed else 'inchangé '} {path}")


@wsdl.command("verifier", aliases=["check"])
@_dir_option
def check(wsdl_dir: Path | None) -> None:
    """Comparer (XML canonique) les WSDL générés aux contrats figés ; code de sortie 1 s'ils diffèrent."""
    target = wsdl_dir or default_wsdl_dir()
    generated = generate_wsdls()
    differences = check_contracts(target, generated)
    for difference in differences:
        echo(difference.explain())
    if differences:
        raise click.ClickException(
            f"{len(differences)} contrat(s) différent(s) de {target}. Un changement du WSDL d'une version en "
            "production est un défaut (contract §2) ; s'il est voulu, figez-le avec « esav wsdl figer »."
        )
    echo(f"{len(generated)} contrats conformes à {target}.")


@wsdl.command("enregistrer", cls=EsavCommand)
@data_option
@click.option("--auteur", "author", default=None, help="Qui fait l'action (consigné dans l'audit).")
@esav_errors
def record(config_file: Path | None, data_dir: Path | None, author: str | None) -> None:
    """Enregistrer dans la base les contrats figés de cette installation comme ceux de tous les nœuds."""
    settings = settings_from(config_file, data_dir)
    fingerprint = contracts_fingerprint(shipped_wsdl())
    with open_gateway(settings) as gateway:
        record = gateway.contracts.adopt(fingerprint, actor=author or provider_author())
    echo(f"Contrats enregistrés : {record.fingerprint} ; les nœuds démarrés désormais doivent servir ceux-ci.")
