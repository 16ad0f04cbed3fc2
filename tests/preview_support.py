"""Shared by the preview tests: a catalogue copy whose SIG_CUIVRE gets a version 2.0 with a new mandatory
field and a removed code value, and a mix of deposits by two operators under version 1.0."""

from __future__ import annotations

import copy
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import zeep
from lxml import etree
from support import CATALOGUE, PARIS, example_form

#: The clock of the preview tests, a Wednesday after SIG_FTTH 2.0's month of cohabitation (it ended on 2
#: December 2026): SIG_CUIVRE 2.0 is then the only version announced. Commands run at it too
#: (``ESAV_CLOCK_OFFSET_S``), and see the deposits among those of the last 30 days.
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=PARIS)
#: SIG_CUIVRE 2.0 enters production 200 days later: more than the six months a major evolution needs.
PRODUCTION = (NOW + timedelta(days=200)).date()
NS = "urn:esav:formulaire:SIG_CUIVRE"
REMOVED_CODE = "JARRETIERE_REPARTITEUR"
NEW_FIELD = "telephoneRendezVous"
PRESTATIONS = {"OPE001": "0140000001", "OPE002": "0140000002"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def copy_catalogue(target: Path) -> Path:
    shutil.copytree(CATALOGUE, target)
    return target


def add_cuivre_2_0(root: Path, production: date = PRODUCTION) -> None:
    """SIG_CUIVRE 2.0: ``disponibilites`` (optional) starts with a mandatory ``telephoneRendezVous``, and the fault
    code JARRETIERE_REPARTITEUR is gone (its code list DEFAUTS_CUIVRE_2, a new list, lacks it: a list in
    use by a version in production never loses a value)."""
    edit(
        root / "catalogue.xml",
        '<version numero="1.0" dateProduction="2025-01-01"/>\n  </formulaire>\n  <formulaire code="SIG_DSL"',
        f'<version numero="1.0" dateProduction="2025-01-01"/>\n    <version numero="2.0" '
        f'dateProduction="{production.isoformat()}"/>\n  </formulaire>\n  <formulaire code="SIG_DSL"',
    )
    nomenclature = root / "nomenclature"
    old_list = (nomenclature / "DEFAUTS_CUIVRE.xml").read_text(encoding="utf-8")
    new_list = old_list.replace('code="DEFAUTS_CUIVRE"', 'code="DEFAUTS_CUIVRE_2"')
    new_list = "\n".join(line for line in new_list.splitlines() if REMOVED_CODE not in line) + "\n"
    (nomenclature / "DEFAUTS_CUIVRE_2.xml").write_text(new_list, encoding="utf-8")
    forms = root / "forms" / "SIG_CUIVRE"
    xsd = (forms / "1.0.xsd").read_text(encoding="utf-8")
    xsd = xsd.replace('           version="1.0">', '           version="2.0">', 1)
    xsd = xsd.replace(f'      <xs:enumeration value="{REMOVED_CODE}"/>\n', "")
    xsd = xsd.replace(
        "<nom:nomenclature>DEFAUTS_CUIVRE</nom:nomenclature>", "<nom:nomenclature>DEFAUTS_CUIVRE_2</nom:nomenclature>"
    )
    anchor = '<xs:element name="creneau" type="CreneauType" maxOccurs="5">'
    new_field = (
        f'<xs:element name="{NEW_FIELD}" type="TelephoneType">\n        <xs:annotation>\n'
        "          <xs:documentation>Téléphone pour convenir du rendez-vous</xs:documentation>\n"
        "        </xs:annotation>\n      </xs:element>\n      "
    )
    xsd = xsd.replace(anchor, new_field + anchor, 1)
    (forms / "2.0.xsd").write_text(xsd, encoding="utf-8")
    example = (forms / "1.0.example.xml").read_text(encoding="utf-8")
    example = example.replace("<disponibilites>", f"<disponibilites>\n    <{NEW_FIELD}>0612345678</{NEW_FIELD}>", 1)
    (forms / "2.0.example.xml").write_text(example, encoding="utf-8")


def cuivre_form(*, availability: bool, code: str = "BRUIT_LIGNE") -> etree._Element:
    """SIG_CUIVRE 1.0's example, with or without its ``disponibilites``, with fault code ``code``."""
    form = copy.deepcopy(example_form("SIG_CUIVRE"))
    form.find(f"{{{NS}}}defaut/{{{NS}}}codeDefaut").text = code
    if not availability:
        form.remove(form.find(f"{{{NS}}}disponibilites"))
    return form


#: Each operator's deposits under 1.0: (has disponibilites, fault code), and what 2.0 makes of them.
MIX = {
    "OPE001": [(False, "BRUIT_LIGNE"), (False, "LIGNE_COUPEE"), (True, "BRUIT_LIGNE"), (True, "AUTRE"),
               (False, REMOVED_CODE)],
    "OPE002": [(False, "AFFAIBLISSEMENT"), (True, REMOVED_CODE), (True, REMOVED_CODE)],
}  # fmt: skip


def deposit_cuivre(client: zeep.Client, operator: str, form: etree._Element) -> str:
    """Deposit ``operator``'s copper ticket with ``form`` as SIG_CUIVRE 1.0; its reference."""
    answer: Any = client.service.deposerSignalisation(
        identifiantPrestation=PRESTATIONS[operator],
        codeOffre="CUIVRE_DEGROUPAGE",
        gravite="MAJEURE",
        formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": form},
    )
    return str(answer.referenceSignalisation)


def deposit_mix(live: Any) -> dict[str, list[tuple[str, bool, str]]]:
    """Deposit ``MIX`` through each operator's own client; per operator (reference, availability, code)."""
    done: dict[str, list[tuple[str, bool, str]]] = {}
    for operator, forms in MIX.items():
        client = live.client(operator)
        done[operator] = [
            (deposit_cuivre(client, operator, cuivre_form(availability=a, code=c)), a, c) for a, c in forms
        ]
    return done
