"""The policy file (SPEC §3): load and validate, compile to a snapshot, diff and dump.

Pure functions on text and data: no I/O beyond the text handed in, no database, no
HTTP. The store keeps a policy as ``policy.model_dump(mode="json")`` and rebuilds it
with ``policy_from_dict``; the server serves requests from a ``Snapshot``.
"""

from jwtgate.policy.checks import check_against_others
from jwtgate.policy.compile import (
    ClaimBinding,
    CompiledAccount,
    CompiledAuthenticator,
    CompiledClient,
    CompiledIdentity,
    CompiledRoute,
    CompiledTrustedIssuer,
    CompiledVariable,
    Snapshot,
    compile_snapshot,
    glob_matches,
)
from jwtgate.policy.diff import diff_policies, dump_policy
from jwtgate.policy.fields import ALGORITHMS, REGISTERED_CLAIMS
from jwtgate.policy.load import load_policy, policy_from_dict
from jwtgate.policy.problems import PolicyError, PolicyProblem
from jwtgate.policy.schema import (
    Authenticator,
    Client,
    Host,
    Policy,
    Route,
    TrustedIssuer,
    User,
    Variable,
)

__all__ = [
    "ALGORITHMS",
    "REGISTERED_CLAIMS",
    "Authenticator",
    "ClaimBinding",
    "Client",
    "CompiledAccount",
    "CompiledAuthenticator",
    "CompiledClient",
    "CompiledIdentity",
    "CompiledRoute",
    "CompiledTrustedIssuer",
    "CompiledVariable",
    "Host",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "Route",
    "Snapshot",
    "TrustedIssuer",
    "User",
    "Variable",
    "check_against_others",
    "compile_snapshot",
    "diff_policies",
    "dump_policy",
    "glob_matches",
    "load_policy",
    "policy_from_dict",
]
