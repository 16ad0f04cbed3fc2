"""The manifest ``catalogue.xml``: forms, the offers they serve, versions and production dates.

Its format is ``catalogue.xsd`` (same folder)::

    <catalogue xmlns="urn:esav:catalogue">
      <formulaire code="SIG_FTTH" titre="Signalisation d'un accès FTTH">
        <offre code="FTTH_ACCES"/>
        <version numero="1.0" dateProduction="2025-01-01"/>
        <version numero="2.0" dateProduction="2026-11-02"/>
      </formulaire>
    </catalogue>
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ._versions import Form, build_versions
from ._xml import CATALOGUE_NS, check_against, compile_schema, parse_file

MANIFEST_FILE = "catalogue.xml"
FORMAT_FILE = "catalogue.xsd"


def read_manifest(root: Path) -> tuple[Form, ...]:
    """The forms of ``root/catalogue.xml`` in manifest order, checked against ``catalogue.xsd``.

    The returned forms have no ``racine`` yet: it comes from their XSDs.
    """
    path = root / MANIFEST_FILE
    fmt = compile_schema(parse_file(root / FORMAT_FILE), root / FORMAT_FILE)
    tree = parse_file(path)
    check_against(fmt, tree, path)
    forms = []
    for entry in tree.getroot().iterchildren(f"{{{CATALOGUE_NS}}}formulaire"):
        code = entry.get("code")
        declared = [
            (v.get("numero"), date.fromisoformat(v.get("dateProduction")))
            for v in entry.iterchildren(f"{{{CATALOGUE_NS}}}version")
        ]
        forms.append(
            Form(
                code=code,
                titre=entry.get("titre"),
                offres=tuple(o.get("code") for o in entry.iterchildren(f"{{{CATALOGUE_NS}}}offre")),
                versions=build_versions(code, declared, path, entry.sourceline),
            )
        )
    return tuple(forms)
