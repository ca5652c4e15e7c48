"""JSON logs carry the request id and never a whole token or credential."""

from __future__ import annotations

import json
import logging

import jwt

from jwtgate.logs import JsonFormatter, redact, request_id_var

TOKEN = jwt.encode({"sub": "host/app", "exp": 2_000_000_000}, "k" * 32, algorithm="HS256")


def record(message: str, **extra: object) -> dict[str, object]:
    entry = logging.LogRecord("jwtgate.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(entry, key, value)
    return dict(json.loads(JsonFormatter().format(entry)))


def test_record_is_json_with_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        entry = record("hello", status=200)
    finally:
        request_id_var.reset(token)
    assert entry["message"] == "hello"
    assert entry["request_id"] == "req-42"
    assert entry["status"] == 200
    assert entry["level"] == "info"
    assert str(entry["time"]).endswith("Z")


def test_tokens_and_credentials_are_redacted_everywhere() -> None:
    credential = "jga_4E6MvX0gUvTDh0BLMFH595s_K7tG0IT3uTCsznTUiAk"
    entry = record(f"got {TOKEN}", header=f"Bearer {TOKEN}", admin=credential)
    text = json.dumps(entry)
    assert TOKEN not in text
    assert TOKEN.split(".")[1] not in text
    assert credential not in text
    assert text.count("<redacted sha256:") == 3


def test_redaction_is_a_stable_fingerprint() -> None:
    assert redact(TOKEN) == redact(TOKEN)
    assert redact("plain words stay") == "plain words stay"
    assert redact(f"a {TOKEN} b").startswith("a <redacted sha256:")


def test_conjur_base64_token_is_redacted_whole() -> None:
    import base64

    protected, payload, signature = TOKEN.split(".")
    flattened = json.dumps({"protected": protected, "payload": payload, "signature": signature})
    conjur = base64.b64encode(flattened.encode()).decode()
    assert conjur.startswith("eyJ")
    text = redact(f'Token token="{conjur}"')
    assert conjur[8:] not in text
    assert text.startswith('Token token="<redacted sha256:')
