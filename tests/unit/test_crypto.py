"""jwtgate.crypto: master key handling and sealing at rest (SPEC §3 "Files under --data-dir")."""

import base64
import hashlib
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jwtgate.crypto import (
    ENV_VAR,
    DecryptionError,
    MasterKey,
    MasterKeyError,
    hash_secret,
    load_master_key,
    new_credential,
    secrets_equal,
    write_master_key,
)

KEY = MasterKey.generate()


def _text(raw: bytes, *, padded: bool = False) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if padded else text.rstrip("=")


# --- sealing -----------------------------------------------------------------------


@given(plaintext=st.binary(max_size=512), purpose=st.text(max_size=40))
def test_seal_open_round_trip(plaintext: bytes, purpose: str) -> None:
    assert KEY.open(KEY.seal(plaintext, purpose=purpose), purpose=purpose) == plaintext


def test_sealed_layout_is_version_nonce_ciphertext_tag() -> None:
    sealed = KEY.seal(b"abc", purpose="p")
    assert sealed[0] == 1
    assert len(sealed) == 1 + 12 + 3 + 16


def test_two_seals_of_the_same_plaintext_differ() -> None:
    a, b = KEY.seal(b"same", purpose="p"), KEY.seal(b"same", purpose="p")
    assert a != b
    assert a[1:13] != b[1:13]  # fresh nonce each call


def test_wrong_purpose_is_refused() -> None:
    sealed = KEY.seal(b"pem", purpose="signing-key:abc")
    with pytest.raises(DecryptionError):
        KEY.open(sealed, purpose="signing-key:other")


def test_wrong_key_is_refused_without_revealing_key_material() -> None:
    sealed = KEY.seal(b"pem", purpose="secret:acct:db/password:v3")
    other = MasterKey.generate()
    with pytest.raises(DecryptionError) as info:
        other.open(sealed, purpose="secret:acct:db/password:v3")
    message = str(info.value)
    assert other.to_text() not in message
    assert KEY.to_text() not in message
    assert "pem" not in message


@pytest.mark.parametrize("index", [0, 1, 12, 13, -1])  # version, nonce, ciphertext, tag
def test_flipped_byte_is_refused(index: int) -> None:
    sealed = bytearray(KEY.seal(b"plaintext", purpose="p"))
    sealed[index] ^= 0x01
    with pytest.raises(DecryptionError):
        KEY.open(bytes(sealed), purpose="p")


@pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x01" + bytes(27)])
def test_truncated_value_is_refused(sealed: bytes) -> None:
    with pytest.raises(DecryptionError):
        KEY.open(sealed, purpose="p")


# --- text form -----------------------------------------------------------------------


def test_to_text_is_unpadded_base64url_and_round_trips() -> None:
    text = KEY.to_text()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", text)
    assert MasterKey.from_text(text, origin="t") == KEY


@pytest.mark.parametrize(
    "decorate", [lambda t: t + "=", lambda t: f"  {t}\n", lambda t: f"\t{t}=\r\n"]
)
def test_from_text_accepts_padding_and_surrounding_whitespace(
    decorate: Callable[[str], str],
) -> None:
    assert MasterKey.from_text(decorate(KEY.to_text()), origin="t") == KEY


@pytest.mark.parametrize(
    "text",
    [
        _text(bytes(31)),
        _text(bytes(33)),
        _text(bytes(16)),
        "",
        "   ",
        _text(b"\xfb" * 32).replace("-", "+").replace("_", "/"),  # standard alphabet
        "A" * 42 + "!",
        "A" * 20 + " " + "A" * 23,
        "A" * 41,  # not a valid base64 length
    ],
)
def test_from_text_rejects_and_names_the_origin(text: str) -> None:
    with pytest.raises(MasterKeyError, match=re.escape("/data/master.key")):
        MasterKey.from_text(text, origin="/data/master.key")


def test_from_text_error_does_not_echo_the_text() -> None:
    text = _text(b"\x42" * 31)
    with pytest.raises(MasterKeyError) as info:
        MasterKey.from_text(text, origin=ENV_VAR)
    assert text not in str(info.value)
    assert ENV_VAR in str(info.value)


def test_repr_hides_the_key() -> None:
    for shown in (repr(KEY), str(KEY), f"{KEY!r}"):
        assert KEY.to_text() not in shown
        assert repr(KEY.key) not in shown
        assert KEY.key.hex() not in shown


# --- the master.key file -------------------------------------------------------------


def test_write_master_key_creates_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_master_key(path, KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == KEY.to_text()
    assert load_master_key(path, None) == KEY


def test_write_master_key_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_master_key(path, KEY)
    with pytest.raises(MasterKeyError, match="already exists"):
        write_master_key(path, MasterKey.generate())
    assert load_master_key(path, None) == KEY


def test_write_master_key_reports_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "master.key"
    with pytest.raises(MasterKeyError, match=re.escape(str(path))):
        write_master_key(path, KEY)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_load_master_key_refuses_a_file_readable_by_others(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    write_master_key(path, KEY)
    path.chmod(mode)
    with pytest.raises(MasterKeyError, match="chmod 600") as info:
        load_master_key(path, None)
    assert str(path) in str(info.value)


def test_load_master_key_missing_file_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="jwtgate init"):
        load_master_key(tmp_path / "master.key", None)


def test_load_master_key_bad_file_content_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text("not a key\n")
    path.chmod(0o600)
    with pytest.raises(MasterKeyError, match=re.escape(str(path))):
        load_master_key(path, None)


def test_load_master_key_prefers_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_master_key(path, KEY)
    path.chmod(0o644)  # not even looked at
    env_key = MasterKey.generate()
    assert load_master_key(path, env_key.to_text()) == env_key
    assert load_master_key(tmp_path / "absent.key", f" {env_key.to_text()}\n") == env_key


@pytest.mark.parametrize("value", ["", "short"])
def test_load_master_key_bad_environment_names_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(MasterKeyError, match=ENV_VAR):
        load_master_key(tmp_path / "master.key", value)


# --- credentials ---------------------------------------------------------------------


def test_hash_secret_is_lowercase_hex_sha256() -> None:
    assert hash_secret("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert hash_secret("päss") == hashlib.sha256("päss".encode()).hexdigest()


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [("s3cret", "s3cret", True), ("s3cret", "s3creT", False), ("s3cret", "s3cre", False),
     ("", "", True), ("é", "é", True), ("é", "e", False)],
)  # fmt: skip
def test_secrets_equal(a: str, b: str, equal: bool) -> None:
    assert secrets_equal(a, b) is equal


def test_new_credential_has_prefix_and_43_base64url_characters() -> None:
    credential = new_credential("jga_")
    assert re.fullmatch(r"jga_[A-Za-z0-9_-]{43}", credential)
    assert new_credential("jga_") != credential
    assert secrets_equal(hash_secret(credential), hash_secret(credential))
