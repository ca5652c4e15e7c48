"""The public names of jwtgate.policy are pinned (STYLE: ``__all__`` pinned by a test)."""

from __future__ import annotations

import jwtgate.policy


def test_exported_members() -> None:
    assert sorted(jwtgate.policy.__all__) == [
        "ALGORITHMS",
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
        "REGISTERED_CLAIMS",
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
    for name in jwtgate.policy.__all__:
        assert getattr(jwtgate.policy, name) is not None
