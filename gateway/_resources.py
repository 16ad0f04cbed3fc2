"""Where the data shipped with the package is: the catalogue, the frozen WSDLs, the test set, the HTML
mockups, the integrator's kit, the integration platform's configuration and the deployment files (service
units, settings).

The repository's top-level folders (``catalogue/``, ``wsdl/``, ``test_sets/``, ``html_mockups/``,
``integrators/``, ``integration_platform/``, ``deploy/``) are the sources. ``gateway/_data/`` holds one
symbolic link to each, so a checkout (or an editable install) reads them in place, and a wheel carries
copies: setuptools follows the links when it builds, and ``setup.cfg`` declares their files as package
data. Every module finds them here, through ``importlib.resources``, never from the position of its
own source file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = [
    "shipped_catalogue",
    "shipped_deploy",
    "shipped_guides",
    "shipped_integration_platform",
    "shipped_integrators",
    "shipped_mockups",
    "shipped_test_sets",
    "shipped_wsdl",
]


def _shipped(name: str) -> Path:
    folder = files("gateway").joinpath("_data", name)
    if not isinstance(folder, Path):  # a zip import: the data must be files on disk (lxml, globs)
        raise RuntimeError(f"gateway/_data/{name} : le paquet doit être installé dans un dossier, pas une archive.")
    return folder.resolve()


def shipped_catalogue() -> Path:
    """The form catalogue (manifest, forms, nomenclature); setting ``catalogue_dir`` overrides it."""
    return _shipped("catalogue")


def shipped_wsdl() -> Path:
    """The frozen published WSDLs, one folder per version."""
    return _shipped("wsdl")


def shipped_test_sets() -> Path:
    """The operators' test set and the scenario robot's paths (``robot.toml``)."""
    return _shipped("test_sets")


def shipped_mockups() -> Path:
    """The HTML mockups generated from the forms."""
    return _shipped("html_mockups")


def shipped_integrators() -> Path:
    """The integrator's kit: sample exchanges of every operation, a Postman collection, its README."""
    return _shipped("integrators")


def shipped_integration_platform() -> Path:
    """The integration platform's default configuration (``esav.ini``)."""
    return _shipped("integration_platform")


def shipped_guides() -> Path:
    """The user guides served in the portal's documentation pack (e-SAV en ligne, with its screenshots)."""
    return _shipped("docs")


def shipped_deploy() -> Path:
    """The systemd units, the service user and example settings of a deployment (``docs/deployment.md``)."""
    return _shipped("deploy")
