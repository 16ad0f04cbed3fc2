"""Security: the provider PKI and certificate checks (`pki`); more to come (authentication, quotas).

Import from the submodules (`from gateway.security.pki import ...`): this package stays empty so
that importing it pulls in nothing heavy.
"""
