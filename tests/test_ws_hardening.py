"""The hardened parse of a request, in-process: nesting up to the bound is read, one level more refused."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidRequestError
from gateway.ws._hardening import check_request_xml


def _nested(depth: int) -> bytes:
    """A document ``depth`` elements deep (the root counts as one)."""
    return b"<n>" * depth + b"x" + b"</n>" * depth


@pytest.mark.parametrize("bound", [8, 64, 200])
def test_nesting_up_to_the_bound_is_read_and_one_level_more_is_refused(bound: int) -> None:
    assert check_request_xml(_nested(bound), max_depth=bound).tag == "n"
    with pytest.raises(InvalidRequestError, match=f"trop imbriqué \\(plus de {bound} niveaux\\)"):
        check_request_xml(_nested(bound + 1), max_depth=bound)


def test_a_deep_branch_beside_shallow_ones_is_found() -> None:
    """Many shallow siblings, then one branch a level too deep at the end: refused."""
    body = b"<r>" + b"<a><b/></a>" * 500 + b"<a>" + _nested(8) + b"</a></r>"
    check_request_xml(body, max_depth=10)  # r, a and 8 nested: 10 levels
    with pytest.raises(InvalidRequestError, match="trop imbriqué"):
        check_request_xml(body, max_depth=9)
