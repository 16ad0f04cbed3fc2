"""The documentation pack of e-SAV (annex 2 of the e-SAV conditions), as the portal and the mail carry it.

Annex 2 lists: the usage guide of e-SAV en ligne; for integration, the integration platform's
usage guide, the functional and technical specifications of e-SAV WS, the test set and the
catalogue pack (HTML mockups, XML forms, code lists). Each document has a version and a date;
each is downloadable on its own from the portal's Documents page, and the whole pack as one zip,
which is also attached to the announcements of web-service evolutions.

The usage guides are written in Markdown in the repository and served as self-contained HTML
(screenshots embedded); the specification of each web-service version is generated from its
frozen WSDLs, the catalogue's forms and its code lists, so it can never disagree with them.
"""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from gateway._resources import shipped_catalogue, shipped_guides, shipped_integration_platform, shipped_wsdl
from gateway.domain.versions import DEFAULT_VERSIONS, ApiVersion

from ._catalogue_service import catalogue_fingerprint
from ._doc_pack import DOC_PACK, doc_pack_files

__all__ = ["DOC_ARCHIVE_NAME", "Document", "DocumentationPack", "Section"]

DOC_ARCHIVE_NAME = "documentation-esav.zip"
_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_XS = "http://www.w3.org/2001/XMLSchema"
_NS = {"wsdl": _WSDL, "xs": _XS}
#: Hand-written documents: key → (title, source, version, date). Bump the version and date with each edit.
_GUIDES = {
    "guide-esav-en-ligne": (
        "Guide d'usage d'e-SAV en ligne",
        shipped_guides() / "guide-esav-en-ligne" / "guide.md",
        "1.0",
        date(2026, 12, 3),
    ),
    "guide-plate-forme-integration": (
        "Guide d'usage de la plate-forme d'intégration e-SAV",
        shipped_integration_platform() / "README.md",
        "1.1",
        date(2026, 12, 3),
    ),
}
#: The test set's edition (its files are in ``test_sets/``).
_TEST_SET_EDITION = ("2.0", date(2026, 12, 3))
#: The integrator's kit (samples of every operation, Postman collection): bump with each regeneration.
_KIT_EDITION = ("1.0", date(2026, 12, 3))


@dataclass(frozen=True)
class Document:
    """One file of the pack: its section, path in the section, and bytes (read or generated on demand)."""

    section: str
    name: str
    media_type: str
    source: Path | None = None
    generated: bytes | None = None

    def content(self) -> bytes:
        if self.generated is not None:
            return self.generated
        assert self.source is not None
        return self.source.read_bytes()


@dataclass(frozen=True)
class Section:
    """A document of annex 2 (or a part of the catalogue pack), with its version and date."""

    key: str
    title: str
    version: str
    date: date
    files: tuple[Document, ...]


class DocumentationPack:
    """The pack as it stands: sections with version and date, one file, or the whole as a zip."""

    def __init__(self, catalogue: Any, versions: tuple[ApiVersion, ...] = DEFAULT_VERSIONS) -> None:
        self._catalogue = catalogue  # the live catalogue: a publication changes the pack too
        #: The web-service versions in production (the settings' registry, set by the doors that read it).
        self.versions = versions

    def sections(self) -> list[Section]:
        sections = [self._guide("guide-esav-en-ligne")]
        sections.append(self._guide("guide-plate-forme-integration"))
        sections += [self._specification(v) for v in self.versions if (shipped_wsdl() / v.name).is_dir()]
        sections.append(self._static("jeu-de-tests", *_TEST_SET_EDITION))
        catalogue_version, catalogue_date = self._catalogue_edition()
        for key in ("formulaires", "nomenclature", "maquettes"):
            sections.append(self._static(key, catalogue_version, catalogue_date, pack=True))
        sections.append(self._static("wsdl", ", ".join(v.name for v in self.versions), self._newest_production()))
        sections.append(self._static("integrateurs", *_KIT_EDITION))
        return sections

    def document(self, section: str, name: str) -> Document | None:
        """One listed file, or None (only listed files are served: no path tricks)."""
        for found in self.sections():
            if found.key == section:
                return next((d for d in found.files if d.name == name), None)
        return None

    def zip(self) -> bytes:
        """Every document in one zip, one folder per section, with an index of versions and dates."""
        buffer = io.BytesIO()
        sections = self.sections()
        index = ["Documentation e-SAV (annexe 2 des Conditions Spécifiques e-SAV)", ""]
        index += [f"{s.key} : {s.title} — version {s.version} du {s.date:%d/%m/%Y}" for s in sections]
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
            _add(pack, "documentation-esav/LISEZMOI.txt", ("\n".join(index) + "\n").encode("utf-8"))
            for section in sections:
                for document in section.files:
                    _add(pack, f"documentation-esav/{section.key}/{document.name}", document.content())
        return buffer.getvalue()

    # The sections ---------------------------------------------------------------------------------

    def _guide(self, key: str) -> Section:
        title, source, version, day = _GUIDES[key]
        page = markdown_page(source.read_text(encoding="utf-8"), source.parent, f"{title} — version {version}")
        return Section(key, title, version, day, (Document(key, f"{key}.html", "text/html", generated=page),))

    def _specification(self, version: ApiVersion) -> Section:
        key = f"specifications-{version.name}"
        page = specification_page(version, shipped_wsdl() / version.name, self._catalogue)
        return Section(
            key,
            f"Spécifications fonctionnelles et techniques e-SAV WS {version.name}",
            version.name,
            version.production,
            (Document(key, f"specifications-esav-ws-{version.name}.html", "text/html", generated=page),),
        )

    def _static(self, key: str, version: str, day: date, *, pack: bool = False) -> Section:
        title, folder, patterns = DOC_PACK[key]
        files = tuple(
            Document(key, name, _media_type(name), source=folder / name) for name in doc_pack_files(folder, patterns)
        )
        return Section(key, f"Pack catalogue : {title}" if pack else title, version, day, files)

    def _catalogue_edition(self) -> tuple[str, date]:
        """The catalogue pack's version (its fingerprint) and date (its latest form version's production)."""
        root = getattr(self._catalogue, "root", None) or shipped_catalogue()
        days = [v.date_production for f in self._catalogue.forms() for v in f.versions]
        return catalogue_fingerprint(root)[:12], max(days)

    def _newest_production(self) -> date:
        return max(v.production for v in self.versions)


def _add(pack: zipfile.ZipFile, name: str, content: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # fixed: same documents, same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    pack.writestr(info, content)


def _media_type(name: str) -> str:
    suffix = Path(name).suffix
    return {".html": "text/html", ".xml": "application/xml", ".xsd": "application/xml", ".wsdl": "application/xml"}.get(
        suffix, "text/plain"
    )


# Markdown → HTML (the few constructs the guides use) ---------------------------------------------

_STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    "img{max-width:100%;border:1px solid #ccc}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}code{background:#f3f3f3}"
)


def _inline(text: str, base: Path) -> str:
    def image(match: re.Match[str]) -> str:
        path = (base / match.group(2)).resolve()
        if base.resolve() not in path.parents or not path.is_file():
            return html.escape(match.group(1))
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'<img alt="{html.escape(match.group(1))}" src="data:image/png;base64,{data}">'

    out = html.escape(text, quote=False)
    out = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", lambda m: image(m), out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1", out)  # links to the repository mean nothing here


def markdown_page(text: str, base: Path, title: str) -> bytes:
    """A self-contained HTML page from Markdown: headings, paragraphs, lists, tables, code blocks, images."""
    body: list[str] = []
    paragraph: list[str] = []
    lists: str | None = None
    in_code = False
    table: list[list[str]] = []

    def flush() -> None:
        nonlocal lists
        if paragraph:
            body.append(f"<p>{_inline(' '.join(paragraph), base)}</p>")
            paragraph.clear()
        if lists:
            body.append(f"</{lists}>")
            lists = None
        if table:
            rows = [r for r in table if not all(set(c) <= set("-: ") for c in r)]
            head, *rest = rows
            body.append("<table><thead><tr>" + "".join(f"<th>{_inline(c, base)}</th>" for c in head) + "</tr></thead>")
            body.append(
                "<tbody>"
                + "".join("<tr>" + "".join(f"<td>{_inline(c, base)}</td>" for c in r) + "</tr>" for r in rest)
                + "</tbody></table>"
            )
            table.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            body.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            body.append(html.escape(line))
            continue
        if not stripped:
            flush()
        elif heading := re.match(r"^(#{1,4}) (.*)$", stripped):
            flush()
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2), base)}</h{level}>")
        elif stripped.startswith("|"):
            if paragraph:
                flush()
            table.append([c.strip() for c in stripped.strip("|").split("|")])
        elif item := re.match(r"^(-|\d+\.) (.*)$", stripped):
            kind = "ul" if item.group(1) == "-" else "ol"
            if paragraph or (lists and lists != kind):
                flush()
            if lists is None:
                body.append(f"<{kind}>")
                lists = kind
            body.append(f"<li>{_inline(item.group(2), base)}</li>")
        elif lists and line.startswith(" "):
            body[-1] = body[-1][: -len("</li>")] + " " + _inline(stripped, base) + "</li>"
        else:
            paragraph.append(stripped)
    flush()
    page = (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    return page.encode("utf-8")


# The specification of one web-service version, generated --------------------------------------------


def _fields(schema_types: dict[str, etree._Element], simple: dict[str, str], name: str) -> list[tuple[str, str, str]]:
    """(field, type, occurrence) of the complex type ``name``."""
    found = schema_types.get(name)
    if found is None:
        return []
    rows = []
    for element in found.iterfind(".//xs:element", _NS):
        kind = (element.get("type") or "").split(":")[-1]
        occurs = f"{element.get('minOccurs', '1')}..{element.get('maxOccurs', '1')}"
        rows.append((element.get("name") or "", simple.get(kind, kind), occurs))
    return rows


def _restriction(simple_type: etree._Element) -> str:
    restriction = simple_type.find("xs:restriction", _NS)
    if restriction is None:
        return simple_type.get("name") or ""
    base = (restriction.get("base") or "").split(":")[-1]
    facets = [f"{f.tag.split('}')[-1]}={f.get('value')}" for f in restriction if f.get("value") is not None]
    enums = [f.get("value") for f in restriction.iterfind("xs:enumeration", _NS)]
    if enums:
        return f"{base} ∈ {{{', '.join(str(e) for e in enums)}}}"
    return f"{base} ({', '.join(facets)})" if facets else base


def specification_page(version: ApiVersion, wsdl_dir: Path, catalogue: Any) -> bytes:
    """Functional and technical specification of ``version``: services, operations and their fields (from
    the frozen WSDLs), typed fault, forms and their versions, code lists and their values."""
    e = html.escape
    out = [f"<h1>Spécifications fonctionnelles et techniques e-SAV WS {e(version.name)}</h1>"]
    out.append(
        f"<p>Version {e(version.name)}, en production le {version.production:%d/%m/%Y}"
        + (f", servie jusqu'au {version.end_of_life:%d/%m/%Y} inclus" if version.end_of_life else "")
        + ". Généré à partir des WSDL publiés, du catalogue des formulaires et des nomenclatures.</p>"
    )
    out.append(
        "<h2>Accès</h2><p>HTTPS avec authentification mutuelle par certificat client (TLS mutuel) ; "
        f"point d'accès <code>/esav/{e(version.name)}/&lt;service&gt;</code>, WSDL en ajoutant "
        "<code>?wsdl</code>. SOAP 1.1, document/literal. Toute erreur est une faute SOAP typée "
        "<code>erreurEsav</code> (code, libellé, chemin, valeur, reessayerDans, idErreur).</p>"
    )
    for path in sorted(wsdl_dir.glob("*.wsdl")):
        tree = etree.parse(str(path))
        types = {t.get("name"): t for t in tree.iterfind(".//xs:complexType", _NS)}
        simple = {t.get("name"): _restriction(t) for t in tree.iterfind(".//xs:simpleType", _NS)}
        out.append(f"<h2>Service <code>{e(path.stem)}</code></h2>")
        for operation in tree.iterfind(".//wsdl:portType/wsdl:operation", _NS):
            name = operation.get("name") or ""
            doc = operation.findtext("wsdl:documentation", default="", namespaces=_NS).strip()
            out.append(f"<h3><code>{e(name)}</code></h3>" + (f"<p>{e(doc)}</p>" if doc else ""))
            for label, type_name in (("Requête", name), ("Réponse", f"{name}Response")):
                rows = _fields(types, simple, type_name)
                out.append(f"<p>{label} :</p>")
                if not rows:
                    out.append("<p>(aucun champ)</p>")
                    continue
                out.append("<table><tr><th>Champ</th><th>Type</th><th>Occurrences</th></tr>")
                out += [f"<tr><td>{e(f)}</td><td>{e(t)}</td><td>{e(o)}</td></tr>" for f, t, o in rows]
                out.append("</table>")
    out.append(
        "<h2>Formulaires de signalisation</h2><table><tr><th>Formulaire</th><th>Offres</th><th>Versions</th></tr>"
    )
    for form in catalogue.forms():
        versions = "; ".join(f"{v.version} (production le {v.date_production:%d/%m/%Y})" for v in form.versions)
        out.append(
            f"<tr><td>{e(form.code)} — {e(form.titre)}</td><td>{e(', '.join(form.offres))}</td>"
            f"<td>{e(versions)}</td></tr>"
        )
    out.append("</table><h2>Nomenclatures</h2>")
    for code_list in catalogue.nomenclatures():
        values = ", ".join(f"{v.code}" for v in code_list.values)
        out.append(f"<p><strong>{e(code_list.code)}</strong> : {e(values)}</p>")
    title = f"Spécifications e-SAV WS {version.name}"
    page = (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n"
    )
    return page.encode("utf-8")
