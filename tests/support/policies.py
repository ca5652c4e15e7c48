"""Small valid policy files that tests apply and change."""

from __future__ import annotations

BASE = """\
account: cucumber
authenticators:
  - id: gitlab
    jwks_uri: https://gitlab.example.com/oauth/discovery/keys
    issuer: https://gitlab.example.com
    audience: [conjur]
    enforced_claims: [project_id]
hosts:
  - id: jwt-apps/myapp
    authenticators: [gitlab]
    claims: {project_id: "42", ref: main}
"""

# The same account with one binding tightened: a real change.
CHANGED = BASE.replace("ref: main", "ref: release")

# A second account, to prove accounts are applied independently.
OTHER_ACCOUNT = BASE.replace("account: cucumber", "account: tomato")

# Broken: the host names an authenticator that does not exist (line 10, column 22).
DANGLING = BASE.replace("authenticators: [gitlab]", "authenticators: [gitlba]")
