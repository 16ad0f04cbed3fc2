"""The form catalogue: forms and their versions, code lists, deposit validation, maintainers' tools.

Files (under the catalogue root, ``catalogue/`` in the repository):

- ``catalogue.xml`` (format ``catalogue.xsd``): forms, offers served, versions, production dates;
- ``forms/{CODE}/{version}.xsd``: one XSD per form version, target namespace
  ``urn:esav:formulaire:{CODE}``, one global element; ``{version}.example.xml``: a valid instance;
- ``nomenclature/{CODE}.xml`` (format ``nomenclature/nomenclature.xsd``): one code list per file.

Version rules (production at 00:00 Paris, one calendar month of cohabitation, inclusive of its last
day) are described in ``_versions``. The hot path is :meth:`Catalogue.check_deposit` (lxml); the
tools (:func:`lint`, :func:`render_mockups`, :func:`sample`, :func:`diff`) read the XSDs with
xmlschema.
"""

from ._catalogue import Catalogue
from ._diff import FormDiff, diff
from ._field_views import FieldView, field_views, templates_loader
from ._lint import LintProblem, lint
from ._mockups import build_mockups, check_mockups, render_mockups
from ._model import FormField, form_model
from ._nomenclature import CodeList, CodeValue
from ._paths import default_catalogue_root, default_mockups_dir
from ._preview import ExampleMark, RepairedExample, as_version, check_stored_form, repaired_example
from ._sample import sample
from ._versions import Form, FormVersion, VersionStatus

__all__ = [
    "Catalogue",
    "CodeList",
    "CodeValue",
    "ExampleMark",
    "FieldView",
    "Form",
    "FormDiff",
    "FormField",
    "FormVersion",
    "LintProblem",
    "RepairedExample",
    "VersionStatus",
    "as_version",
    "build_mockups",
    "check_mockups",
    "check_stored_form",
    "default_catalogue_root",
    "default_mockups_dir",
    "diff",
    "field_views",
    "form_model",
    "lint",
    "render_mockups",
    "repaired_example",
    "sample",
    "templates_loader",
]
