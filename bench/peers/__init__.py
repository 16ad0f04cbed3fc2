"""Reference peers: what an operator's provider would deploy instead of the gateway, built and started here.

Each peer is a server written for the project in another SOAP stack, serving the gateway's own
``deposerSignalisation`` (same operation, namespace and request) with the same mutual TLS, so that
``esav banc --pair NAME`` can measure both under the same load (``bench.paired``).
"""

from ._jaxws import JaxwsPeer, missing_toolchain

__all__ = ["PEERS", "JaxwsPeer", "missing_toolchain"]

#: peer name (``esav banc --pair``) → its builder
PEERS = {"jaxws": JaxwsPeer}
