"""`POST /admin/diagnose` and the web inspector name exactly the check that fails.

Each case builds a token that fails one SPEC §4 check of an authn-jwt authenticator;
the API report and the page rendered in a real headless Chromium must name that
check, its code and its reason — the same checks the server runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_authn_jwt import ACCOUNT, claims, policy_for, post, token, url
from tests.support.idp import LoopbackIdP, b64url
from tests.support.server import ServerThread

Case = tuple[str, Callable[[LoopbackIdP], str], str, str | None, str | None, str]
# name, token builder, failing check, code, reason, authenticator ("ACCOUNT/ID" suffix)


def flipped_signature(idp: LoopbackIdP) -> str:
    head, payload, _ = token(idp).split(".")
    return f"{head}.{payload}.{b64url(bytes(256))}"


def unknown_kid(idp: LoopbackIdP) -> str:
    return idp.mint(claims(iss=idp.issuer), kid=idp.keys.newest().kid, headers={"kid": "nope"})


CASES: list[Case] = [
    ("malformed", lambda idp: "not-a-jwt", "structure", "token_malformed", None, "myVendor"),
    (
        "expired",
        lambda idp: token(idp, exp=int(time.time()) - 60),
        "exp",
        "token_expired",
        None,
        "myVendor",
    ),
    (
        "disallowed algorithm",
        lambda idp: "eyJhbGciOiJub25lIn0." + b64url(b'{"exp":1}') + ".",
        "algorithm",
        "token_invalid",
        "disallowed_algorithm",
        "myVendor",
    ),
    ("unknown key", unknown_kid, "key", "token_invalid", "unknown_key", "myVendor"),
    ("bad signature", flipped_signature, "signature", "token_invalid", "bad_signature", "myVendor"),
    (
        "future nbf",
        lambda idp: token(idp, nbf=int(time.time()) + 600),
        "nbf",
        "token_invalid",
        "not_yet_valid",
        "myVendor",
    ),
    (
        "wrong issuer",
        lambda idp: token(idp, iss="https://evil.example"),
        "iss",
        "token_invalid",
        "wrong_issuer",
        "myVendor",
    ),
    (
        "wrong audience",
        lambda idp: token(idp, aud="other"),
        "aud",
        "token_invalid",
        "wrong_audience",
        "myVendor",
    ),
    (
        "no audience",
        lambda idp: token(idp, aud=None),
        "aud",
        "token_invalid",
        "missing_claim",
        "myVendor",
    ),
    (
        "binding mismatch",
        lambda idp: token(idp, project_id="7"),
        "claim_bindings",
        "token_invalid",
        "claim_mismatch",
        "myVendor",
    ),
    (
        "unknown identity",
        lambda idp: token(idp, project_path="no/such"),
        "identity",
        "token_invalid",
        "unknown_identity",
        "gitlab",
    ),
    ("unknown authenticator", token, "authenticator", "token_invalid", "unknown_identity", "nope"),
]
NOT_PERMITTED: Case = (
    "not permitted",
    token,
    "permitted",
    "forbidden",
    "not_permitted",
    "myVendor",
)


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP) -> ServerThread:
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=policy_for(idp)).status_code == 200
    return server


def diagnose(gate: ServerThread, body: dict[str, Any]) -> dict[str, Any]:
    with gate.admin() as admin:
        response = admin.post("/admin/diagnose", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_good_token_is_accepted(gate: ServerThread, idp: LoopbackIdP) -> None:
    report = diagnose(
        gate,
        {
            "token": f"  Bearer {token(idp)}\n",
            "authenticator": f"{ACCOUNT}/myVendor",
            "login": "host/jwt-apps/myapp",
        },
    )
    assert report["accepted"] is True and report["error"] is None
    assert all(check["status"] in {"pass", "skip"} for check in report["checks"])
    assert report["times"]["exp"]["relative"].startswith("expires in")
    assert report["token"]["claims"]["project_id"] == "42"


@pytest.mark.parametrize(
    "case", [*CASES, NOT_PERMITTED], ids=[c[0] for c in [*CASES, NOT_PERMITTED]]
)
def test_api_names_the_failing_check(gate: ServerThread, idp: LoopbackIdP, case: Case) -> None:
    name, build, check, code, reason, service = case
    login = "host/jwt-apps/elsewhere" if name == "not permitted" else None
    if service == "myVendor" and login is None:
        login = "host/jwt-apps/myapp"
    report = diagnose(
        gate, {"token": build(idp), "authenticator": f"{ACCOUNT}/{service}", "login": login}
    )
    assert report["accepted"] is False
    assert report["error"] == {"code": code, "reason": reason, "check": check}
    # The server itself refuses the same token with the same code.
    if name not in {"malformed", "not permitted", "unknown authenticator"}:
        path = url(service, login) if service == "myVendor" else url(service, None)
        refused = post(gate, path, build(idp)).json()
        assert (refused["error"], refused.get("reason")) == (code, reason)


def test_unreachable_keys_are_unprocessable(gate: ServerThread, idp: LoopbackIdP) -> None:
    idp.mode = "down"
    report = diagnose(
        gate,
        {
            "token": token(idp),
            "authenticator": f"{ACCOUNT}/myVendor",
            "login": "host/jwt-apps/myapp",
        },
    )
    assert report["error"] == {"code": "token_unprocessable", "reason": None, "check": "keys"}


def test_diagnose_needs_the_admin_credential(gate: ServerThread) -> None:
    with gate.client() as client:
        response = client.post("/admin/diagnose", json={"token": "x", "authenticator": "a/b"})
    assert response.status_code == 401


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver

    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail(
            "the web inspector test needs Chromium: apt-get install chromium chromium-driver",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
def test_web_inspector_renders_each_failure(
    gate: ServerThread, idp: LoopbackIdP, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{gate.url}/ui/inspect")
    assert "token inspector" in browser.title
    wait = WebDriverWait(browser, 10)
    for name, build, check, code, reason, service in [*CASES[:6], CASES[9], CASES[10]]:
        browser.execute_script("document.getElementById('result').hidden = true")
        for field, value in (
            ("credential", gate.admin_credential),
            ("token", build(idp)),
            ("authenticator", f"{ACCOUNT}/{service}"),
            ("login", "host/jwt-apps/myapp" if service == "myVendor" else ""),
        ):
            box = browser.find_element(By.ID, field)
            box.clear()
            box.send_keys(value)
        browser.find_element(By.ID, "run").click()
        wait.until(expected_conditions.visibility_of_element_located((By.ID, "result")))
        verdict = browser.find_element(By.ID, "verdict").text
        expected = f"refused: {check} — {code}" + (f": {reason}" if reason else "")
        assert verdict == expected, (name, verdict)
        row = browser.find_element(By.CSS_SELECTOR, f"#checks tr[data-check='{check}']")
        assert row.get_attribute("class") == "fail", name
    assert browser.current_url.removeprefix(gate.url) == "/ui/inspect"  # nothing in the URL


def jwtgate_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jwtgate", "token", "inspect", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
def test_cli_names_the_failing_check(gate: ServerThread, idp: LoopbackIdP, tmp_path: Path) -> None:
    credential = tmp_path / "admin.cred"
    credential.write_text(gate.admin_credential)
    remote = ["--server", gate.url, "--admin-credential-file", str(credential)]
    local = ["--data-dir", str(gate.settings.data_dir)]
    for position, (name, build, check, code, reason, service) in enumerate([*CASES, NOT_PERMITTED]):
        login = "host/jwt-apps/elsewhere" if name == "not permitted" else "host/jwt-apps/myapp"
        target = ["--authenticator", f"{ACCOUNT}/{service}"]
        if service == "myVendor":
            target += ["--login", login]
        # every case through the admin API; a few on the local store too (each run is a process)
        for where in (remote, local) if position % 4 == 0 else (remote,):
            result = jwtgate_cli(build(idp), *target, *where, "--json")
            assert result.returncode == 1, (name, result.stderr)
            report = json.loads(result.stdout)
            assert report["error"] == {"code": code, "reason": reason, "check": check}, name
    good = jwtgate_cli(
        "-",
        "--authenticator",
        f"{ACCOUNT}/myVendor",
        "--login",
        "host/jwt-apps/myapp",
        *remote,
        stdin=f'"Bearer {token(idp)}"\n',
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "accepted" in good.stdout and "✔ pass" in good.stdout
    expired = jwtgate_cli(
        token(idp, exp=int(time.time()) - 180),
        "--authenticator",
        f"{ACCOUNT}/myVendor",
        "--login",
        "host/jwt-apps/myapp",
        *local,
    )
    assert expired.returncode == 1
    assert "expired 3 min ago" in expired.stdout
    assert "refused: exp — token_expired" in expired.stdout


def test_cli_against_a_jwks_uri(idp: LoopbackIdP) -> None:
    good = token(idp)
    rules = ["--jwks-uri", idp.jwks_uri, "--issuer", idp.issuer, "--audience", "conjur,other"]
    assert jwtgate_cli(good, *rules).returncode == 0
    wrong = jwtgate_cli(good, *rules[:4], "--audience", "nobody", "--json")
    assert wrong.returncode == 1
    assert json.loads(wrong.stdout)["error"]["reason"] == "wrong_audience"
    es_only = jwtgate_cli(good, *rules, "--algorithms", "ES256", "--json")
    assert json.loads(es_only.stdout)["error"]["reason"] == "disallowed_algorithm"
    both = jwtgate_cli(good, "--json")
    assert both.returncode == 2 and "exactly one" in both.stderr
