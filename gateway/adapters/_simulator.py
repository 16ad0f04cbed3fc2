"""The embedded network-element simulator: deterministic outcomes, a realistic delay, no state.

The outcome depends only on the prestation and the test type (a SHA-256 of both), so the test set
and the project's tests can rely on it; ``docs/tests-a-distance.md`` lists what each demo prestation
answers. The job handle carries everything (start, delay, offer, type, prestation), so a gateway
restarted in the middle of a test asks again and gets the same answer. Like a real element, the
simulator forgets a job some time after its end (``retention_s``): asked later, it cannot tell.

Out of 20 combinations, 13 find nothing (``LIGNE_OK``), 5 find a defect of the test's kind and
2 fail (``ECHEC``, ``TEST_NON_CONCLUANT``: the element did not answer).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._network import Measurement, TestLostError, TestOutcome

__all__ = ["DEFECTS", "NetworkSimulator", "simulated_outcome"]

_PREFIX = "SIM1"
OK = "LIGNE_OK"
INCONCLUSIVE = "TEST_NON_CONCLUANT"

#: The defects each test type can find (codes of the DIAGNOSTICS list).
DEFECTS: dict[str, tuple[str, ...]] = {
    "ETAT_PORT_OLT": ("PORT_HORS_SERVICE",),
    "MESURE_PUISSANCE_OPTIQUE": ("PUISSANCE_HORS_TOLERANCE", "DEFAUT_OPTIQUE"),
    "ETAT_ONT": ("ONT_INJOIGNABLE",),
    "SYNCHRONISATION": ("SYNCHRO_ABSENTE", "SYNCHRO_INSTABLE"),
    "MESURE_LIGNE": ("MARGE_BRUIT_FAIBLE",),
    "ETAT_PORT_DSLAM": ("PORT_HORS_SERVICE",),
    "ETAT_LIEN": ("LIEN_DOWN",),
    "BOUCLAGE": ("BOUCLAGE_KO",),
    "MESURE_PERFORMANCE": ("PERFORMANCE_DEGRADEE",),
}


def _digest(identifiant_prestation: str, test_type: str) -> bytes:
    return hashlib.sha256(f"{identifiant_prestation}:{test_type}".encode()).digest()


def simulated_outcome(identifiant_prestation: str, test_type: str) -> TestOutcome:
    """What the simulator answers for this prestation and test type, always the same."""
    h = _digest(identifiant_prestation, test_type)
    defects = DEFECTS.get(test_type)
    bucket = h[0] % 20
    if defects is None or bucket >= 18:
        return TestOutcome("ECHEC", INCONCLUSIVE)
    diagnostic = OK if bucket < 13 else defects[h[1] % len(defects)]
    return TestOutcome("TERMINE", diagnostic, _measurements(test_type, diagnostic, h))


def _pick(h: bytes, index: int, low: float, high: float, digits: int = 1) -> str:
    """A value in ``[low, high]`` chosen by one byte of the digest, formatted with ``digits`` decimals."""
    value = low + (high - low) * h[index] / 255
    return f"{value:.{digits}f}"


def _measurements(test_type: str, diagnostic: str, h: bytes) -> tuple[Measurement, ...]:
    m = Measurement
    ok = diagnostic == OK
    if test_type == "ETAT_PORT_OLT":
        return (
            m("etatPort", "ACTIF" if ok else "HORS_SERVICE"),
            m("puissanceEmiseOlt", _pick(h, 2, 2.5, 5.0), "dBm"),
            m("nombreOntActifs", str(8 + h[3] % 24 if ok else 0)),
        )
    if test_type == "MESURE_PUISSANCE_OPTIQUE":
        received = {OK: (-24.0, -16.0), "PUISSANCE_HORS_TOLERANCE": (-30.5, -28.1), "DEFAUT_OPTIQUE": (-40.0, -35.0)}
        low, high = received[diagnostic]
        return (
            m("puissanceRecueOnt", _pick(h, 2, low, high), "dBm"),
            m("puissanceRecueOlt", _pick(h, 3, low - 3, high - 3), "dBm"),
            m("affaiblissementOptique", _pick(h, 4, -low - 4, -high + 6), "dB"),
        )
    if test_type == "ETAT_ONT":
        return (
            m("etatOnt", "EN_LIGNE" if ok else "HORS_LIGNE"),
            m("dureeDepuisDerniereSynchro", str(3600 * (1 + h[2] % 240)) if ok else "0", "s"),
            m("temperatureOnt", _pick(h, 3, 35.0, 55.0), "°C"),
        )
    if test_type == "SYNCHRONISATION":
        synced = diagnostic != "SYNCHRO_ABSENTE"
        return (
            m("etatSynchronisation", "SYNCHRONISE" if synced else "NON_SYNCHRONISE"),
            m("debitSynchroDescendant", _pick(h, 2, 8000, 20000, 0) if synced else "0", "kbit/s"),
            m("debitSynchroMontant", _pick(h, 3, 800, 1000, 0) if synced else "0", "kbit/s"),
            m("nombreResynchros24h", str(h[4] % 2 if ok else 12 + h[4] % 30)),
        )
    if test_type == "MESURE_LIGNE":
        margin = (6.0, 12.0) if ok else (1.0, 4.5)
        return (
            m("affaiblissementDescendant", _pick(h, 2, 18.0, 45.0), "dB"),
            m("margeBruitDescendant", _pick(h, 3, *margin), "dB"),
            m("margeBruitMontant", _pick(h, 4, *margin), "dB"),
        )
    if test_type == "ETAT_PORT_DSLAM":
        return (
            m("etatPort", "ACTIF" if ok else "HORS_SERVICE"),
            m("profil", "ADSL2+ 20M"),
        )
    if test_type == "ETAT_LIEN":
        return (
            m("etatLien", "UP" if ok else "DOWN"),
            m("vitesseInterface", "1000" if ok else "0", "Mbit/s"),
            m("erreursCrc", str(h[2] % 3)),
        )
    if test_type == "BOUCLAGE":
        sent = 10000
        lost = 0 if ok else 2000 + h[2] * 20
        return (
            m("tramesEmises", str(sent)),
            m("tramesRecues", str(sent - lost)),
            m("pertes", f"{100 * lost / sent:.1f}", "%"),
        )
    # MESURE_PERFORMANCE
    return (
        m("debit", _pick(h, 2, 940.0, 990.0) if ok else _pick(h, 2, 300.0, 600.0), "Mbit/s"),
        m("latence", _pick(h, 3, 1.0, 4.0, 2) if ok else _pick(h, 3, 25.0, 60.0, 2), "ms"),
        m("gigue", _pick(h, 4, 0.1, 0.8, 2) if ok else _pick(h, 4, 5.0, 15.0, 2), "ms"),
        m("pertePaquets", "0.00" if ok else _pick(h, 5, 0.5, 3.0, 2), "%"),
    )


@dataclass
class NetworkSimulator:
    """The embedded default ``NetworkElements``.

    ``delay_s``: how long a test takes (measured on the gateway's clock, which is the wall clock
    in production; tests move their fixed clock instead of waiting). ``retention_s``: how long after
    its end the element still knows a job.
    """

    delay_s: float = 20.0
    retention_s: float = 3600.0

    def start_test(self, identifiant_prestation: str, code_offre: str, test_type: str, at: datetime) -> str:
        started = at.isoformat()
        return f"{_PREFIX}|{started}|{self.delay_s:g}|{code_offre}|{test_type}|{identifiant_prestation}"

    def result(self, handle: str, now: datetime) -> TestOutcome | None:
        try:
            prefix, started, delay, _offer, test_type, prestation = handle.split("|", 5)
            if prefix != _PREFIX:
                raise ValueError(prefix)
            ready = datetime.fromisoformat(started) + timedelta(seconds=float(delay))
        except ValueError:
            raise TestLostError(f"job inconnu de l'élément réseau : {handle!r}") from None
        if now < ready:
            return None
        if now > ready + timedelta(seconds=self.retention_s):
            raise TestLostError(f"résultat expiré depuis {now - ready - timedelta(seconds=self.retention_s)}")
        return simulated_outcome(prestation, test_type)
