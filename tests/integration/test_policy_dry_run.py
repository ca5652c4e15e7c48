"""A dry run names exactly the identities a new policy would lock out, and applies nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.test_authn_jwt import ACCOUNT, policy_for, post, token, url
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


def test_tightened_binding_locks_out_exactly_that_host(
    server: ServerThread, idp: LoopbackIdP
) -> None:
    original = policy_for(idp)
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=original).status_code == 200
    assert post(server, url(), token(idp)).status_code == 200  # host/jwt-apps/myapp
    assert (
        post(server, url(login="bob@ops"), token(idp, email="bob@example.com")).status_code == 200
    )
    assert post(server, url("gitlab", None), token(idp)).status_code == 200

    tightened = original.replace(
        'claims: {project_id: "42", branch: "refs/heads/*"}',
        'claims: {project_id: "42", branch: "refs/heads/release-*"}',
    )
    assert tightened != original
    with server.admin() as admin:
        admin.get("/admin/audit")  # make sure the successes are written
        dry = admin.post("/admin/policy", params={"dry_run": "true"}, content=tightened)
        none_replayed = admin.post(
            "/admin/policy", params={"dry_run": "true", "since_days": 0}, content=tightened
        )
        status = admin.get("/admin/status").json()
        shown = admin.get("/admin/policy").text
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["applied"] is False
    assert body["lockouts"] == [
        {
            "account": ACCOUNT,
            "identity": "host/jwt-apps/myapp",
            "authenticator": "myVendor",
            "check": "claim_bindings",
            "reason": "claim_mismatch",
        }
    ]
    assert none_replayed.json()["lockouts"] == []
    assert status["policy_version"] == 1
    assert "refs/heads/*" in shown


def test_removed_authenticator_and_host_are_lockouts(
    server: ServerThread, idp: LoopbackIdP
) -> None:
    original = policy_for(idp)
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=original).status_code == 200
    assert post(server, url("gitlab", None), token(idp)).status_code == 200
    assert (
        post(server, url(login="bob@ops"), token(idp, email="bob@example.com")).status_code == 200
    )
    changed = original.replace("audience: [conjur]", "audience: [someone-else]").replace(
        "    identity_path: gitlab-apps\n", "    identity_path: gitlab-projects\n"
    )
    with server.admin() as admin:
        admin.get("/admin/audit")
        lockouts = admin.post("/admin/policy", params={"dry_run": "true"}, content=changed).json()[
            "lockouts"
        ]
    assert {(entry["identity"], entry["check"], entry["reason"]) for entry in lockouts} == {
        ("bob@ops", "aud", "wrong_audience"),
        ("host/gitlab-apps/group/project", "identity", "unknown_identity"),
    }
