"""Espace Opérateurs and e-SAV en ligne: the portal's pages, served over HTTPS (server TLS) on their own port.

The pages call ``gateway.services`` only, as a ``Caller`` on channel WEB whose author is the user.
"""

from ._redirects import same_origin_path
from ._server import RunningWeb, build_web_site, start_web, web_tls_options

__all__ = ["RunningWeb", "build_web_site", "same_origin_path", "start_web", "web_tls_options"]
