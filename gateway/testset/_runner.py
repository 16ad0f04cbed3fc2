"""Replaying the test set against an endpoint with zeep, and reporting (terminal table, JUnit XML).

Tokens in a step's strings:

- ``${unique}``: a value unique to this run and this occurrence (``referenceOperateur``);
- ``${run}``: the run's id; ``${operateur}``: the operator code (from the certificate);
- ``${prestation:CHEMIN}``: the operator's sandbox prestation of that robot path (``test_sets/robot.toml``);
- ``${date:+N}`` / ``${date:-N}``: now plus or minus N days (a dateTime; ``${date:-N:iso}`` its ISO
  text; ``${date:-N:v1}`` the v1 text ``JJ/MM/AAAA HH:MM`` in Paris time);
- ``${nom}``: a value kept by an earlier step (``garder``).

A ``formulaire`` given as ``{ exemple = "SIG_CUIVRE/1.0" }`` is the catalogue's example instance;
``{ code = ..., version = ..., xml = "<...>" }`` sends that XML instead.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from junitparser import Failure, JUnitXml, TestCase, TestSuite

from gateway._resources import shipped_catalogue
from gateway.domain.clock import PARIS

from ._model import Scenario, Step

__all__ = ["POLL_S", "Runner", "ScenarioResult", "junit_report", "junit_suite", "summary_table"]

_TOKEN = re.compile(r"\$\{([^}]+)\}")
_DEFAULT_CATALOGUE = shipped_catalogue()
#: Seconds between two calls of a step that waits for a state (``dans = N``), unless told otherwise.
POLL_S = 0.2


class StepFailed(Exception):
    """A step did not get the expected outcome."""


@dataclass
class ScenarioResult:
    scenario: Scenario
    passed: bool
    duration_s: float
    message: str = ""
    steps_run: int = 0
    log: list[str] = field(default_factory=list)


def _fault_code(fault: Any) -> str:
    detail = getattr(fault, "detail", None)
    if detail is not None:
        codes = detail.xpath(".//*[local-name()='erreurEsav']/*[local-name()='code']/text()")
        if codes:
            return str(codes[0])
    return f"SOAP:{getattr(fault, 'message', fault)}"


def _lookup(answer: Any, path: str) -> Any:
    """The value at ``a.b.0.c`` in a zeep answer made of dicts and lists.

    A wrapped array (``{"creneau": [...]}``) is indexed directly (``creneaux.0``); the first
    segment may name the single part of an answer that zeep returns unwrapped.
    """
    value = answer
    segments = [s for s in path.split(".") if s]
    for index, segment in enumerate(segments):
        while (
            isinstance(value, dict)
            and segment not in value
            and len(value) == 1
            and isinstance(next(iter(value.values())), list | dict)
        ):
            value = next(iter(value.values()))
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit():
            if int(segment) >= len(value):
                raise KeyError(path)
            value = value[int(segment)]
        elif index == 0 and not segment.isdigit():
            continue
        else:
            raise KeyError(path)
    return value


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        return len(lists[0]) if len(value) == 1 and lists else len(value)
    return len(value) if isinstance(value, list | tuple | str) else 1


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):  # any of these values
        return any(_matches(e, actual) for e in expected)
    if isinstance(expected, str) and expected == "*":
        return actual not in (None, "", [], {})
    if isinstance(expected, str) and expected.startswith("#"):
        rule, count = expected[1:], _length(actual)
        if rule.startswith(">"):
            return count > int(rule[1:])
        return count == int(rule)
    if isinstance(expected, bool):
        return actual is expected or str(actual).lower() == str(expected).lower()
    return str(actual) == str(expected)


class Runner:
    """Replays scenarios against ``base_url`` (``https://host:port``) as the certificate's operator."""

    def __init__(
        self,
        base_url: str,
        version: str,
        *,
        cert: str,
        key: str,
        ca: str,
        operator: str,
        prestations: Callable[[str, str], str],
        catalogue_dir: Path = _DEFAULT_CATALOGUE,
        poll_s: float = POLL_S,
        timeout_s: float = 30.0,
    ) -> None:
        self._base = base_url.rstrip("/").removesuffix("/esav")
        self.version = version
        self._cert, self._key, self._ca = cert, key, ca
        self.operator = operator
        self._prestations = prestations
        self._catalogue = catalogue_dir
        self._poll_s = poll_s
        self._timeout_s = timeout_s
        self._clients: dict[str, Any] = {}
        self.run_id = f"{datetime.now(PARIS):%m%d%H%M%S}{uuid.uuid4().hex[:4]}"
        self._counter = 0

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import requests
            import zeep

            session = requests.Session()
            session.trust_env = False  # an environment CA bundle would override verify
            session.verify = self._ca
            session.cert = (self._cert, self._key)
            transport = zeep.Transport(session=session, timeout=self._timeout_s, operation_timeout=self._timeout_s)
            url = f"{self._base}/esav/{self.version}/{service}?wsdl"
            self._clients[service] = zeep.Client(url, transport=transport)
        return self._clients[service]

    # Tokens and forms -------------------------------------------------------------------------

    def _token(self, token: str, variables: dict[str, Any]) -> Any:
        name, _, arg = token.partition(":")
        if name == "unique":
            self._counter += 1
            return f"TS-{self.run_id}-{self._counter}"
        if name == "run":
            return self.run_id
        if name == "operateur":
            return self.operator
        if name == "prestation":
            return self._prestations(arg, self.operator)
        if name == "date":
            days, _, style = arg.partition(":")
            instant = datetime.now(PARIS) + timedelta(days=float(days or 0))
            if style == "v1":
                return instant.strftime("%d/%m/%Y %H:%M")
            if style == "iso":
                return instant.isoformat(timespec="seconds")
            return instant.replace(microsecond=0)
        if token in variables:
            return variables[token]
        raise StepFailed(f"variable inconnue ${{{token}}} (pas gardée par une étape précédente ?)")

    def _resolve(self, value: Any, variables: dict[str, Any]) -> Any:
        if isinstance(value, str):
            whole = _TOKEN.fullmatch(value)
            if whole:
                return self._token(whole.group(1), variables)
            return _TOKEN.sub(lambda m: str(self._token(m.group(1), variables)), value)
        if isinstance(value, list):
            return [self._resolve(v, variables) for v in value]
        if isinstance(value, dict):
            if "exemple" in value or "xml" in value:
                return self._form(value, variables)
            return {k: self._resolve(v, variables) for k, v in value.items()}
        return value

    def _form(self, spec: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        if "exemple" in spec:
            code, _, version = str(spec["exemple"]).partition("/")
            element = etree.parse(str(self._catalogue / "forms" / code / f"{version}.example.xml"), parser).getroot()
        else:
            code, version = spec["code"], spec["version"]
            element = etree.fromstring(str(self._resolve(spec["xml"], variables)).encode("utf-8"), parser)
        return {"code": spec.get("code", code), "version": spec.get("version", version), "_value_1": element}

    # Running ----------------------------------------------------------------------------------

    def _call(self, step: Step, request: dict[str, Any]) -> tuple[Any, str | None]:
        import zeep
        from zeep.helpers import serialize_object

        operation = getattr(self._client(step.service).service, step.operation)
        try:
            return serialize_object(operation(**request), dict), None
        except zeep.exceptions.Fault as fault:
            return None, _fault_code(fault)

    def _check(self, step: Step, answer: Any, fault: str | None, variables: dict[str, Any]) -> str | None:
        """None if the outcome is the expected one, else what differs."""
        if step.fault is not None:
            if fault == step.fault:
                return None
            return f"faute {step.fault} attendue, reçu {fault or 'une réponse sans faute'}"
        if fault is not None:
            return f"réponse attendue, reçu la faute {fault}"
        for path, expected in self._resolve(step.fields, variables).items():
            try:
                actual = _lookup(answer, path)
            except KeyError:
                return f"champ {path} absent de la réponse"
            if not _matches(expected, actual):
                return f"{path} = {actual!r}, attendu {expected!r}"
        return None

    def run_step(self, step: Step, variables: dict[str, Any]) -> Any:
        request = self._resolve(step.request, variables)
        deadline = time.monotonic() + step.within_s
        while True:
            answer, fault = self._call(step, request)
            problem = self._check(step, answer, fault, variables)
            if problem is None:
                break
            if time.monotonic() >= deadline:
                suffix = f" (après {step.within_s:g} s)" if step.within_s else ""
                raise StepFailed(f"{step.service}.{step.operation} : {problem}{suffix}")
            time.sleep(self._poll_s)
        for name, path in step.keep.items():
            try:
                variables[name] = _lookup(answer, path)
            except KeyError:
                raise StepFailed(f"{step.service}.{step.operation} : champ {path} à garder absent") from None
        return answer

    def run_scenario(self, scenario: Scenario) -> ScenarioResult:
        started = time.monotonic()
        variables: dict[str, Any] = {}
        result = ScenarioResult(scenario, passed=True, duration_s=0.0)
        for index, step in enumerate(scenario.steps, start=1):
            try:
                self.run_step(step, variables)
            except StepFailed as failure:
                result.passed, result.message = False, f"étape {index} : {failure}"
                break
            except Exception as error:  # transport, TLS, WSDL: reported, never a traceback
                result.passed, result.message = False, f"étape {index} : {type(error).__name__} : {error}"
                break
            result.steps_run = index
        result.duration_s = time.monotonic() - started
        return result


def summary_table(results: list[ScenarioResult]) -> str:
    width = max((len(r.scenario.name) for r in results), default=10)
    lines = [f"{'scénario':{width}}  résultat  durée   détail", "-" * (width + 40)]
    for r in results:
        status = "OK" if r.passed else "ÉCHEC"
        lines.append(f"{r.scenario.name:{width}}  {status:8}  {r.duration_s:5.1f}s  {r.message}")
    failed = sum(not r.passed for r in results)
    lines.append(f"{len(results)} scénario(s), {len(results) - failed} réussi(s), {failed} en échec.")
    return "\n".join(lines)


def junit_suite(results: list[ScenarioResult], suite: str) -> TestSuite:
    """One JUnit testsuite named ``suite``: one testcase per scenario, a failure carrying its message."""
    testsuite = TestSuite(suite)
    for r in results:
        case = TestCase(r.scenario.name, f"{suite}.{r.scenario.source.removesuffix('.toml')}", round(r.duration_s, 3))
        if not r.passed:
            failure = Failure(r.message)
            failure.text = r.message
            case.result = [failure]
        testsuite.add_testcase(case)
    testsuite.update_statistics()
    return testsuite


def junit_report(suites: Iterable[tuple[str, list[ScenarioResult]]]) -> JUnitXml:
    """One JUnit XML document (``testsuites``) holding one testsuite per ``(name, results)``, as CI servers
    read it; ``.write(path)`` saves it."""
    report = JUnitXml()
    for name, results in suites:
        report.add_testsuite(junit_suite(results, name))
    report.update_statistics()
    return report
