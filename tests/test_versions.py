"""The version registry (contract §2): two versions at once, never three, the old one retired on time."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import zeep
from support import CATALOGUE, deposit, fault_code, in_reactor, reactor

from gateway.config import Settings, load_settings
from gateway.domain.clock import PARIS, FixedClock
from gateway.domain.versions import DEFAULT_VERSIONS, ApiVersion, add_months, parse_versions
from gateway.errors import ConfigError
from gateway.server import PkiFiles, build_site, start
from gateway.services import Gateway

THREE = "v1:2024-03-04:2027-02-28, v2:2026-09-01, v3:2026-12-01"


def _settings_error(**environ: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={f"ESAV_{k.upper()}": v for k, v in environ.items()})
    return str(caught.value)


def test_defaults_fit_the_demo_date():
    """By default v2 is current since 2026-09-01 and v1 is served until 2027-02-28."""
    settings = load_settings(None, environ={})
    assert settings.versions == DEFAULT_VERSIONS
    assert [(v.name, v.production, v.end_of_life) for v in settings.versions] == [
        ("v1", date(2024, 3, 4), date(2027, 2, 28)),
        ("v2", date(2026, 9, 1), None),
    ]


def test_registry_is_written_in_the_ini_file(tmp_path):
    """The ``versions`` key of the [esav] section sets the registry."""
    config = tmp_path / "esav.ini"
    config.write_text("[esav]\nversions = v1:2024-03-04:2026-12-31, v2:2026-09-01\n", encoding="utf-8")
    settings = load_settings(config, environ={})
    assert settings.versions[0] == ApiVersion("v1", date(2024, 3, 4), date(2026, 12, 31))


def test_three_versions_are_refused_naming_the_key():
    """A registry of three versions is refused, the message naming ``versions`` and the limit."""
    message = _settings_error(versions=THREE)
    assert message.startswith("versions : 3 versions configurées (v1, v2, v3)")
    assert "au plus 2" in message


@pytest.mark.parametrize(
    ("end_of_life", "refused_because"),
    [
        ("2026-09-29", "moins d'un mois"),  # retired 30/09: 29 days after v2's production
        ("2026-09-30", None),  # retired 01/10: exactly one month
        ("2027-02-28", None),  # retired 01/03: exactly six months
        ("2027-03-01", "plus de six mois"),
        ("2027-08-31", "plus de six mois"),
    ],
)
def test_old_version_kept_one_to_six_months(end_of_life, refused_because):
    """The old version's end of life falls between one and six months after the new one's production."""
    text = f"v1:2024-03-04:{end_of_life}, v2:2026-09-01"
    if refused_because is None:
        assert load_settings(None, environ={"ESAV_VERSIONS": text}).versions == parse_versions(text)
    else:
        message = _settings_error(versions=text)
        assert message.startswith("versions : ")
        assert refused_because in message and "2026-09-30" in message and "2027-02-28" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1:2024-03-04, v2:2026-09-01", "il lui faut une fin de vie"),
        ("v1:2024-03-04:2027-01-31, v2:2026-09-01:2027-06-30", "ne peut pas avoir de fin de vie"),
        ("v1:2024-03-04:2027-01-31, v1:2026-09-01", "deux fois"),
        ("v1:04/03/2024, v2:2026-09-01", "AAAA-MM-JJ"),
        ("version1:2024-03-04", "version:production"),
    ],
)
def test_malformed_registries_are_refused_naming_the_key(text, expected):
    """Each broken registry is a ConfigError about ``versions`` saying what is wrong."""
    message = _settings_error(versions=text)
    assert "versions" in message and expected in message


def test_month_arithmetic_clamps_to_the_end_of_month():
    """31 August plus six months is the last day of February."""
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 9, 1), 6) == date(2027, 3, 1)


def test_start_up_refuses_three_versions(live):
    """The server does not start (ConfigError naming ``versions``) on a registry of three versions."""
    settings = Settings(
        data_dir=live.data_dir, port=0, metrics_port=0, catalogue_dir=CATALOGUE, versions=parse_versions(THREE)
    )
    with pytest.raises(ConfigError, match=r"^versions : 3 versions"):
        in_reactor(start, live.gateway, settings, PkiFiles.in_dir(live.data_dir / "pki"), reactor)


def test_start_up_refuses_a_version_the_gateway_does_not_implement(tmp_path):
    """A registry naming v3, which has no service in the code, is refused naming ``versions``."""
    gateway = Gateway.open(tmp_path / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(datetime.now(PARIS)))
    try:
        settings = Settings(versions=parse_versions("v2:2026-09-01:2026-12-31, v3:2026-11-01"))
        with pytest.raises(ConfigError, match=r"^versions : v3 n'existe pas"):
            build_site(gateway, settings)
    finally:
        gateway.close()


def test_version_left_out_of_the_registry_is_not_published(tmp_path):
    """With only v2 configured, the site has no /esav/v1; with the defaults it has both."""
    gateway = Gateway.open(tmp_path / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(datetime.now(PARIS)))
    try:
        only_v2 = build_site(gateway, Settings(versions=parse_versions("v2:2026-09-01")))
        both = build_site(gateway, Settings())
    finally:
        gateway.close()
    assert set(only_v2.resource.children[b"esav"].children) == {b"v2"}
    assert set(both.resource.children[b"esav"].children) == {b"v1", b"v2"}


def test_both_versions_are_served_at_once(live):
    """One gateway serves v1 and v2 side by side, each with its own namespace."""
    v1, v2 = live.client(version="v1"), live.client()
    assert deposit(v1).dateDepot == "18/11/2026 10:00"
    assert deposit(v2).dateDepot == datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
    for version in ("v1", "v2"):
        wsdl = live.session().get(live.url("signalisation", version) + "?wsdl", timeout=10)
        assert f'targetNamespace="urn:esav:signalisation:{version}"' in wsdl.text


def _state_v1(live, reference):
    return live.client(version="v1").service.consulterEtatSignalisation(reference)


def test_v1_is_retired_the_day_after_its_end_of_life(live):
    """v1 works up to 28/02/2027 23:59 Paris time and answers VERSION_RETIREE naming v2 from 01/03/2027."""
    reference = deposit(live.client(version="v1")).referenceSignalisation
    live.clock.set(datetime(2027, 2, 27, 12, 0, tzinfo=PARIS))  # the day before the end of life
    assert _state_v1(live, reference).etat == "EN_DEPOT"
    live.clock.set(datetime(2027, 2, 28, 23, 59, tzinfo=PARIS))  # the last day served
    assert _state_v1(live, reference).etat == "EN_DEPOT"
    live.clock.set(datetime(2027, 3, 1, 0, 0, tzinfo=PARIS))  # the day after
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _state_v1(live, reference)
    assert fault_code(caught.value) == "VERSION_RETIREE"
    detail = caught.value.detail
    assert detail.xpath("string(.//*[local-name()='valeur'])") == "v2"
    assert "utilisez la version v2" in detail.xpath("string(.//*[local-name()='libelle'])")
    live.clock.set(datetime(2027, 3, 2, 9, 0, tzinfo=PARIS))
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit(live.client(version="v1"))
    assert fault_code(caught.value) == "VERSION_RETIREE"


def test_after_retirement_v2_works_and_v1_wsdl_is_still_served(live):
    """Retiring v1 leaves v2 untouched, and v1's WSDL still downloads (its calls say where to go)."""
    reference = deposit(live.client()).referenceSignalisation
    live.clock.set(datetime(2027, 3, 1, 0, 0, tzinfo=PARIS))
    assert live.client().service.consulterEtatSignalisation(reference).etat == "EN_DEPOT"
    wsdl = live.session().get(live.url("signalisation", "v1") + "?wsdl", timeout=10)
    assert wsdl.status_code == 200 and "urn:esav:signalisation:v1" in wsdl.text
