"""The wire layer: SOAP services per version, typed faults, hardened request parsing."""

from ._base import (
    CALL_FAULT,
    CALL_INFO,
    CALL_OPERATION,
    CALL_OPERATOR,
    CALL_REQUEST_ID,
    CALL_RETRY_AFTER,
    CLIENT_FINGERPRINT,
    Guard,
    form_payload,
    make_service_base,
)
from ._fastpath import FastCall, FastPath
from ._faults import FaultTypes, error_detail, fault_envelope, make_fault_types, to_fault
from ._hardening import PARSED_DOCUMENT, check_request_xml, check_soap_body
from ._protocol import EsavSoap11
from ._versions import published_versions, retirement_guard

__all__ = [
    "CALL_FAULT",
    "CALL_INFO",
    "CALL_OPERATION",
    "CALL_OPERATOR",
    "CALL_REQUEST_ID",
    "CALL_RETRY_AFTER",
    "CLIENT_FINGERPRINT",
    "PARSED_DOCUMENT",
    "EsavSoap11",
    "FastCall",
    "FastPath",
    "FaultTypes",
    "Guard",
    "check_request_xml",
    "check_soap_body",
    "error_detail",
    "fault_envelope",
    "form_payload",
    "make_fault_types",
    "make_service_base",
    "published_versions",
    "retirement_guard",
    "to_fault",
]
