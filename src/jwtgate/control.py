"""The control plane: initialise a data directory, apply policy, rotate keys.

The CLI (on the local store) and the admin API (on a running server) both call these,
so a change made either way is the same transaction with the same checks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jwtgate.crypto import MasterKey, hash_secret, load_master_key, new_credential, write_master_key
from jwtgate.lockouts import find_lockouts
from jwtgate.oauth.registry import check_policy_against_registry
from jwtgate.policy import (
    Policy,
    check_against_others,
    diff_policies,
    load_policy,
    policy_from_dict,
)
from jwtgate.settings import Settings
from jwtgate.signer import KeyRecord, RotationPlan, plan_initial, plan_rotation
from jwtgate.store import (
    AuditRepository,
    ClientRepository,
    Database,
    KeyRepository,
    MetaRepository,
    PolicyRepository,
)

__all__ = [
    "ADMIN_CREDENTIAL_KEY",
    "ApplyResult",
    "InitResult",
    "apply_policy",
    "initialise",
    "load_policies",
    "open_master_key",
    "read_policy_file",
    "rotate_keys",
]

ADMIN_CREDENTIAL_KEY = "admin_credential_sha256"
DEFAULT_REPLAY_DAYS = 7  # SPEC §5: policy apply --dry-run [--since-days 7]


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did or, in a dry run, would do (SPEC §2.6)."""

    applied: bool
    version: int
    changes: list[str]
    lockouts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "version": self.version,
            "changes": self.changes,
            "lockouts": self.lockouts,
        }


@dataclass(frozen=True)
class InitResult:
    created: list[str]
    admin_credential: str | None


def open_master_key(settings: Settings) -> MasterKey:
    """The master key from ``JWTGATE_MASTER_KEY`` or ``master.key`` (MasterKeyError if neither)."""
    env_value = settings.master_key.get_secret_value() if settings.master_key else None
    return load_master_key(settings.master_key_file, env_value)


async def initialise(settings: Settings, database: Database) -> InitResult:
    """``jwtgate init``: what a first start needs; run again, it creates only what is missing."""
    created: list[str] = []
    data_dir = settings.data_dir
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700, parents=True)
        created.append(f"data directory {data_dir}")
    if settings.master_key is None and not settings.master_key_file.exists():
        write_master_key(settings.master_key_file, MasterKey.generate())
        created.append(f"master key {settings.master_key_file} (mode 0600)")
    master = open_master_key(settings)
    await database.upgrade()
    now = time.time()
    if await KeyRepository(database).insert_initial(
        plan_initial(settings.signing_algorithm, master, now)
    ):
        created.append(
            f"{settings.signing_algorithm} signing key (current) and its successor (next)"
        )
    meta = MetaRepository(database)
    credential = None
    if await meta.get(ADMIN_CREDENTIAL_KEY) is None:
        credential = new_credential("jga_")
        await meta.set(ADMIN_CREDENTIAL_KEY, hash_secret(credential))
        created.append("admin credential")
    sample = data_dir / "policy.yaml"
    if not sample.exists():
        sample.write_text(resources.files("jwtgate.policy").joinpath("sample.yaml").read_text())
        sample.chmod(0o600)
        created.append(f"sample policy {sample}")
    return InitResult(created=created, admin_credential=credential)


async def apply_policy(
    database: Database,
    text: str,
    filename: str,
    *,
    dry_run: bool = False,
    since_days: int = DEFAULT_REPLAY_DAYS,
) -> ApplyResult:
    """Validate and apply one account's policy in one transaction (idempotent).

    Raises PolicyError (nothing changed) for a bad file, StoreUnavailable when the store
    is down. The version counter is bumped first so that concurrent applies serialise;
    a dry run or an apply without changes rolls it back.
    """
    policy = load_policy(text, filename)
    successes = (
        await AuditRepository(database).accepted_with_claims(since=time.time() - since_days * 86400)
        if since_days > 0
        else []
    )
    repository = PolicyRepository(database)
    async with database.transaction() as connection:
        next_version = await repository.begin_change(connection)
        _, stored = await repository.read_locked(connection)
        others = [
            policy_from_dict(entry.document)
            for account, entry in stored.items()
            if account != policy.account
        ]
        check_against_others(policy, others, filename)
        registered = await ClientRepository(database).accounts_by_id(connection)
        check_policy_against_registry(policy, registered, filename)  # ids are global (SPEC §3)
        existing = stored.get(policy.account)
        old = policy_from_dict(existing.document) if existing else None
        changes = diff_policies(old, policy)
        lockouts = find_lockouts(policy, successes) if changes else []
        if not changes or dry_run:
            await connection.rollback()
            return ApplyResult(
                applied=False,
                version=next_version if changes else next_version - 1,
                changes=changes,
                lockouts=lockouts,
            )
        await repository.save(
            connection,
            account=policy.account,
            document=policy.model_dump(mode="json"),
            source=text,
            version=next_version,
            exists=existing is not None,
        )
    return ApplyResult(applied=True, version=next_version, changes=changes, lockouts=lockouts)


async def load_policies(database: Database) -> tuple[int, dict[str, Policy]]:
    """The applied policy of every account and the policy version."""
    version, stored = await PolicyRepository(database).load_all()
    return version, {account: policy_from_dict(entry.document) for account, entry in stored.items()}


async def rotate_keys(database: Database, master: MasterKey, algorithm: str) -> RotationPlan:
    """``keys rotate``: next → current, current → retired, a new next (SPEC §3)."""
    now = time.time()

    def plan_for(records: list[KeyRecord]) -> RotationPlan:
        return plan_rotation(records, algorithm, master, now)

    return await KeyRepository(database).rotate(plan_for, now)


def read_policy_file(path: Path) -> str:
    """The text of a policy file, refusing anything that is not a readable small file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such policy file")
    if path.stat().st_size > 1024 * 1024:
        raise ValueError(f"{path}: larger than 1 MiB")
    return path.read_text(encoding="utf-8")
