"""The admin API over real HTTP, on SQLite + memory and on PostgreSQL + Redis."""

from __future__ import annotations

import time

import jwt

from tests.support import policies
from tests.support.server import ServerThread


def test_admin_needs_the_credential(server: ServerThread) -> None:
    with server.client() as client:
        missing = client.get("/admin/keys")
        wrong = client.get("/admin/keys", headers={"Authorization": "Bearer jga_wrong"})
        basic = client.get("/admin/keys", headers={"Authorization": "Basic abc"})
    assert missing.status_code == 401
    assert missing.json()["error"] == "token_missing"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "token_invalid"
    assert basic.status_code == 401


def test_apply_is_idempotent_and_versioned(server: ServerThread) -> None:
    with server.admin() as admin:
        first = admin.post("/admin/policy", content=policies.BASE)
        again = admin.post("/admin/policy", content=policies.BASE)
        shown = admin.get("/admin/policy")
        status = admin.get("/admin/status").json()
    assert first.status_code == 200
    assert first.json()["applied"] is True
    assert first.json()["version"] == 1
    assert first.json()["changes"]
    assert again.json() == {"applied": False, "version": 1, "changes": [], "lockouts": []}
    assert shown.headers["content-type"].startswith("application/yaml")
    assert "account: cucumber" in shown.text
    assert "token_ttl_seconds: 480" in shown.text  # defaults filled in
    assert status["policy_version"] == 1


def test_dry_run_reports_and_changes_nothing(server: ServerThread) -> None:
    with server.admin() as admin:
        admin.post("/admin/policy", content=policies.BASE)
        before = admin.get("/admin/policy").text
        dry = admin.post("/admin/policy", params={"dry_run": "true"}, content=policies.CHANGED)
        after = admin.get("/admin/policy").text
        status = admin.get("/admin/status").json()
    assert dry.status_code == 200
    assert dry.json()["applied"] is False
    assert dry.json()["version"] == 2
    assert any("release" in change for change in dry.json()["changes"])
    assert before == after
    assert status["policy_version"] == 1


def test_bad_policy_is_refused_with_position_and_nothing_changes(server: ServerThread) -> None:
    with server.admin() as admin:
        admin.post("/admin/policy", content=policies.BASE)
        before = admin.get("/admin/policy").text
        refused = admin.post("/admin/policy", content=policies.DANGLING)
        not_utf8 = admin.post("/admin/policy", content=b"\xff\xfe")
        after = admin.get("/admin/policy").text
        status = admin.get("/admin/status").json()
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid_policy"
    assert any(problem.startswith("<request body>:10:22:") for problem in body["problems"])
    assert "gitlba" in body["error_description"]
    assert not_utf8.status_code == 400
    assert before == after
    assert status["policy_version"] == 1


def test_accounts_are_separate(server: ServerThread) -> None:
    with server.admin() as admin:
        admin.post("/admin/policy", content=policies.BASE)
        second = admin.post("/admin/policy", content=policies.OTHER_ACCOUNT)
        one = admin.get("/admin/policy", params={"account": "tomato"})
        unknown = admin.get("/admin/policy", params={"account": "potato"})
        both = admin.get("/admin/policy")
    assert second.json()["version"] == 2
    assert "account: tomato" in one.text and "cucumber" not in one.text
    assert unknown.status_code == 404
    assert "account: cucumber" in both.text and "account: tomato" in both.text


def test_rotation_keeps_old_tokens_verifiable(server: ServerThread) -> None:
    ring = server.runtime.keyring
    old_token = ring.sign({"sub": "host/x", "exp": int(time.time()) + 600})
    old_kid = ring.current_kid
    with server.admin() as admin:
        before = {key["kid"]: key["state"] for key in admin.get("/admin/keys").json()["keys"]}
        rotated = admin.post("/admin/keys/rotate").json()["rotated"]
        after = {key["kid"]: key["state"] for key in admin.get("/admin/keys").json()["keys"]}
    with server.client() as client:
        published = client.get("/.well-known/jwks.json").json()
    assert rotated["retired"] == old_kid
    assert before[rotated["current"]] == "next"
    assert after[old_kid] == "retired" and after[rotated["current"]] == "current"
    assert after[rotated["next"]] == "next"
    kids = {key["kid"] for key in published["keys"]}
    assert kids == {old_kid, rotated["current"], rotated["next"]}
    assert server.runtime.keyring.current_kid == rotated["current"]
    old_key = next(key for key in published["keys"] if key["kid"] == old_kid)
    claims = jwt.decode(old_token, jwt.PyJWK(old_key).key, algorithms=["ES256"])
    assert claims["sub"] == "host/x"
    new_token = server.runtime.keyring.sign({"sub": "host/y", "exp": int(time.time()) + 600})
    assert jwt.get_unverified_header(new_token)["kid"] == rotated["current"]


def test_audit_lists_admin_decisions_newest_first(server: ServerThread) -> None:
    with server.client() as client:
        client.get("/admin/keys", headers={"Authorization": "Bearer jga_not_it"})
    with server.admin() as admin:
        admin.post("/admin/policy", content=policies.BASE, headers={"X-Request-Id": "apply-1"})
        events = admin.get("/admin/audit").json()["events"]
        limited = admin.get("/admin/audit", params={"limit": 1}).json()["events"]
        future = admin.get("/admin/audit", params={"since": "2999-01-01T00:00:00Z"}).json()
        too_many = admin.get("/admin/audit", params={"limit": 1001})
        bad_since = admin.get("/admin/audit", params={"since": "yesterday"})
    assert [event["decision"] for event in events] == ["accepted", "refused"]
    assert events[0]["request_id"] == "apply-1"
    assert events[0]["front_door"] == "admin"
    assert events[0]["time"].endswith("Z")
    assert set(events[0]) == {
        "time",
        "request_id",
        "front_door",
        "decision",
        "code",
        "reason",
        "account",
        "authenticator",
        "subject",
        "client_id",
    }
    assert len(limited) == 1
    assert future == {"events": []}
    assert too_many.status_code == 400
    assert bad_since.status_code == 400
