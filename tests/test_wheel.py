"""The wheel is the product: built from the sources, installed in a fresh virtual environment outside the
checkout, it serves the demo, the integration platform and replays the test set from another folder."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
from lxml import etree
from support import REPO, clean_env, client_for, running, wait_until_serving
from wheel_support import installed_wheel

from gateway.adapters.ports import free_port

pytestmark = pytest.mark.slow


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def installed() -> tuple[Path, str]:
    """The wheel built from a copy of the current sources, installed into a new virtual environment: its bin
    folder and the build's output (``make wheel`` builds it before the tests; built here when missing)."""
    return installed_wheel()


def _wait(process: subprocess.Popen[bytes], port: int, pki: Path, log: Path) -> None:
    """Once the server has written its certificates (at start-up), wait for its mutual-TLS handshake."""
    deadline = time.monotonic() + 120
    while not (pki / "OPE001.key").is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    wait_until_serving(process, port, pki, log)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in clean_env().items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**env, **extra}


def test_build_prints_no_setuptools_warning(installed: tuple[Path, str]) -> None:
    """Building the wheel raises no setuptools warning (package data declared, nothing ambiguous)."""
    _, output = installed
    assert "BuildBackendWarning" not in output and "SetuptoolsDeprecationWarning" not in output, output


def test_installed_package_ships_its_data(installed: tuple[Path, str], tmp_path: Path) -> None:
    """Outside the checkout, the installed package finds the catalogue, WSDLs, test set, mockups, the
    platform's configuration and the service units in itself."""
    bin_dir, _ = installed
    script = (
        "import gateway, gateway._resources as r; print(gateway.__file__);"
        "print(all((p / n).is_file() for p, n in [(r.shipped_catalogue(), 'catalogue.xml'),"
        " (r.shipped_wsdl(), 'v2/signalisation.wsdl'), (r.shipped_test_sets(), 'robot.toml'),"
        " (r.shipped_mockups(), 'index.html'), (r.shipped_integration_platform(), 'esav.ini'),"
        " (r.shipped_deploy(), 'esav-gateway.service')]))"
    )
    result = _run([str(bin_dir / "python"), "-c", script], cwd=tmp_path, env=_env())
    assert result.returncode == 0, result.stderr
    location, found = result.stdout.split()
    assert not Path(location).is_relative_to(REPO) and found == "True"


def test_installed_gateway_serves_the_demo_from_another_folder(installed: tuple[Path, str], tmp_path: Path) -> None:
    """``esav servir --demo`` of the installed wheel, run from an empty folder, takes a zeep deposit made
    with the example form its banner names, and answers ready on the operations port it names."""
    bin_dir, _ = installed
    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(bin_dir / "esav"), "servir", "--demo", "--donnees", "demo", "--port", str(port)]
    with running(command, log, env=_env(), cwd=tmp_path) as server:
        pki = tmp_path / "demo" / "pki"
        _wait(server, port, pki, log)
        banner = log.read_text()
        example = banner.split("form = etree.parse('", 1)[1].split("'", 1)[0]
        assert not Path(example).is_relative_to(REPO), example
        form = etree.parse(example).getroot()
        answer = client_for(port, pki).service.deposerSignalisation(
            identifiantPrestation="0140000001", codeOffre="CUIVRE_DEGROUPAGE", gravite="MAJEURE",
            formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": form},
        )  # fmt: skip
        assert answer.referenceSignalisation.startswith("SIG") and answer.etat == "EN_DEPOT"
        operations = re.search(r"Exploitation \(boucle locale\) : (http://127\.0\.0\.1:\d+)/metrics", banner)
        assert operations is not None, banner
        ready = requests.get(operations.group(1) + "/health/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert "esav_requests_total" in requests.get(operations.group(1) + "/metrics", timeout=10).text


def test_installed_platform_passes_scenarios_of_the_installed_test_set(
    installed: tuple[Path, str], tmp_path: Path
) -> None:
    """``esav integration servir`` and ``esav jeu-de-test rejouer`` of the installed wheel, from an empty folder:
    the shipped platform configuration, robot and scenarios work without the checkout."""
    bin_dir, _ = installed
    port = free_port()
    log = tmp_path / "platform.log"
    env = _env(ESAV_ROBOT_STEP_S="0.1", ESAV_LINE_TEST_DELAY_S="0.2", ESAV_LINE_TEST_POLL_S="0.1")
    command = [str(bin_dir / "esav"), "integration", "servir", "--donnees", "platform", "--port", str(port)]
    with running(command, log, env=env, cwd=tmp_path) as platform:
        pki = tmp_path / "platform" / "pki"
        _wait(platform, port, pki, log)
        result = _run(
            [str(bin_dir / "esav"), "jeu-de-test", "rejouer", "--url", f"https://localhost:{port}",
             "--cert", str(pki / "OPE003.pem"), "--cle", str(pki / "OPE003.key"), "--ac", str(pki / "ca.pem"),
             "--version", "v2", "--scenario", "v2_chemin_rejetee", "--scenario", "v2_faute_formulaire_invalide",
             "--junit", "report.xml"],
            cwd=tmp_path, env=env, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 scénario(s), 2 réussi(s), 0 en échec." in result.stdout
        assert (tmp_path / "report.xml").is_file()
