"""The master key and authenticated encryption at rest (SPEC §3 "Files under --data-dir").

Everything secret that jwtgate keeps in its store (signing keys, secrets) is sealed
under one 32-byte master key, so instances sharing a store need only that key. The
key comes from ``JWTGATE_MASTER_KEY`` or from ``master.key`` (mode 0600), as the
unpadded base64url text of 32 random bytes.

Sealed format (version 1): ``0x01 || nonce (12 bytes) || AES-256-GCM ciphertext+tag``.
The *purpose* (e.g. ``"signing-key:<kid>"``) is authenticated as associated data
together with the version byte, so a ciphertext copied to another row, or read with
another meaning, fails to open instead of decrypting to the wrong thing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ENV_VAR",
    "DecryptionError",
    "MasterKey",
    "MasterKeyError",
    "hash_secret",
    "load_master_key",
    "new_credential",
    "secrets_equal",
    "write_master_key",
]

ENV_VAR = "JWTGATE_MASTER_KEY"
KEY_BYTES = 32
_VERSION = b"\x01"
_NONCE_BYTES = 12  # 96-bit nonces, NIST SP 800-38D §8.2.2 (random construction)
_TAG_BYTES = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


class MasterKeyError(Exception):
    """The master key is missing, malformed or unsafely stored; the message names where."""


class DecryptionError(Exception):
    """A sealed value did not open: wrong master key, wrong purpose or tampered bytes."""


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class MasterKey:
    """A 32-byte AES-256-GCM key; ``repr`` never shows it."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise MasterKeyError(f"master key must be {KEY_BYTES} bytes, got {len(self.key)}")

    def __repr__(self) -> str:
        return "MasterKey(<redacted>)"

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str, *, origin: str) -> MasterKey:
        """Parse base64url (padding optional, whitespace around it ignored).

        The alphabet is checked explicitly because ``base64.urlsafe_b64decode``
        silently drops characters outside it. The text itself is never echoed.
        """
        stripped = text.strip()
        problem = f"{origin}: the master key must be the base64url text of {KEY_BYTES} bytes"
        if not stripped or not _BASE64URL.fullmatch(stripped):
            raise MasterKeyError(f"{problem} (empty or characters outside base64url)")
        unpadded = stripped.rstrip("=")
        try:
            raw = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
        except (binascii.Error, ValueError):
            raise MasterKeyError(f"{problem} (not valid base64url)") from None
        if len(raw) != KEY_BYTES:
            raise MasterKeyError(f"{problem} (it decodes to {len(raw)} bytes)")
        return cls(raw)

    def to_text(self) -> str:
        return _b64url_encode(self.key)

    def seal(self, plaintext: bytes, *, purpose: str) -> bytes:
        """Encrypt with a fresh random nonce; ``purpose`` must be given again to open."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION + nonce + AESGCM(self.key).encrypt(nonce, plaintext, _aad(purpose))

    def open(self, sealed: bytes, *, purpose: str) -> bytes:
        if len(sealed) < 1 + _NONCE_BYTES + _TAG_BYTES or sealed[:1] != _VERSION:
            raise DecryptionError(f"cannot open {purpose!r}: not a version-1 sealed value")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return AESGCM(self.key).decrypt(nonce, body, _aad(purpose))
        except InvalidTag:
            raise DecryptionError(
                f"cannot open {purpose!r}: wrong master key, or the stored value was altered"
            ) from None


def _aad(purpose: str) -> bytes:
    return _VERSION + purpose.encode("utf-8")


def write_master_key(path: Path, key: MasterKey) -> None:
    """Create ``path`` with mode 0600; never overwrite (losing a key loses the store)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise MasterKeyError(
            f"{path}: already exists; refusing to overwrite a master key"
        ) from None
    except OSError as exc:
        raise MasterKeyError(f"{path}: cannot create the master key file: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.to_text() + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise MasterKeyError(f"{path}: cannot write the master key: {exc.strerror}") from None


def load_master_key(path: Path, env_value: str | None) -> MasterKey:
    """Load the master key: ``JWTGATE_MASTER_KEY`` (``env_value``, when not None) wins.

    A key file readable by group or others is refused, as ssh does for private keys.
    """
    if env_value is not None:
        return MasterKey.from_text(env_value, origin=ENV_VAR)
    try:
        mode = path.stat().st_mode
        if stat.S_IMODE(mode) & 0o077:
            raise MasterKeyError(
                f"{path}: permissions {stat.S_IMODE(mode):04o} are too open; run `chmod 600 {path}`"
            )
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise MasterKeyError(
            f"{path}: no master key; run `jwtgate init` or set {ENV_VAR}"
        ) from None
    except OSError as exc:
        raise MasterKeyError(f"{path}: cannot read the master key: {exc.strerror}") from None
    return MasterKey.from_text(text, origin=str(path))


def hash_secret(value: str) -> str:
    """Lowercase hex SHA-256: how the admin credential and client secrets are stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def secrets_equal(a: str, b: str) -> bool:
    """Constant-time comparison, so timing does not reveal a matching prefix."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def new_credential(prefix: str) -> str:
    """``prefix`` + 43 base64url characters (32 random bytes), e.g. ``jga_…``."""
    return prefix + secrets.token_urlsafe(KEY_BYTES)
