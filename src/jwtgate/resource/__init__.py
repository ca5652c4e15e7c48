"""Protect any Starlette/FastAPI API with jwtgate's verification and errors (SPEC §2.4).

No jwtgate server needs to run: the rules name an issuer and its keys. ::

    from jwtgate.resource import JwtgateMiddleware, TokenRules, require_token

    rules = TokenRules(issuer="https://idp.example", jwks_uri="https://idp.example/jwks",
                       audience=["reports-api"])
    app.add_middleware(JwtgateMiddleware, rules=rules, scopes=["read"], exclude=["/healthz"])
    # or, per route:  claims: dict = Depends(require_token(rules, scopes=["read"]))

``TokenRules.for_jwtgate(public_url)`` accepts jwtgate's own access tokens. A refused
token gets exactly the answer jwtgate's own APIs give (SPEC §4). See docs/resources.md.
"""

from jwtgate.resource.asgi import JwtgateMiddleware, TokenRefused, require_token
from jwtgate.resource.rules import TokenRules

__all__ = ["JwtgateMiddleware", "TokenRefused", "TokenRules", "require_token"]
