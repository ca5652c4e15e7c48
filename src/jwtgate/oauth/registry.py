"""The client application registry's control plane: ``jwtgate client add|list|remove``
and ``/admin/clients`` share these functions (SPEC §3, §5).

An addition is a policy ``clients`` entry of one account, validated by the policy's own
schema and checks — the certificate's key type and size, its validity dates *now*, one
credential, ``jwks_uri`` over https, default scopes among the scopes — so a registered
client and a policy client obey the same rules. A generated secret is returned once;
only its SHA-256 is stored. Ids are unique across the registry, every policy's
``clients`` and ``trusted_issuers`` (SPEC §3); :func:`check_policy_against_registry`
is the other half, run by a policy apply.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from jwtgate.crypto import hash_secret, new_credential
from jwtgate.policy import Policy, PolicyError
from jwtgate.policy.checks import check_policy
from jwtgate.policy.problems import PolicyProblem, format_path
from jwtgate.store import (
    ClientExists,
    ClientRepository,
    Database,
    PolicyRepository,
    StoredClient,
    StoredPolicy,
)

__all__ = [
    "ClientConflict",
    "ClientInvalid",
    "ClientNotFound",
    "Registered",
    "add_client",
    "check_policy_against_registry",
    "describe_client",
    "list_clients",
    "remove_client",
    "validate_addition",
]

SECRET_PREFIX = "jgc_"  # noqa: S105 - the prefix of generated secrets, not one
CREDENTIALS = ("certificate", "jwks", "jwks_uri", "generate_secret")
_FIELDS = frozenset(
    {
        "account",
        "id",
        *CREDENTIALS,
        "grant_types",
        "scopes",
        "default_scopes",
        "subjects",
        "audience",
    }
)
_KEY_GRANTS = ["jwt-bearer", "client_credentials"]
_SECRET_GRANTS = ["client_credentials"]


class ClientInvalid(Exception):
    """The addition is malformed; ``problems`` says each thing wrong. Nothing changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ClientConflict(Exception):
    """The id is taken (registry, policy client or trusted issuer). Nothing changed."""


class ClientNotFound(Exception):
    """No registered client has this id."""


@dataclass(frozen=True)
class Registered:
    """A client just added; ``secret`` is the generated secret, shown this once."""

    client: StoredClient
    secret: str | None


def _document(request: Mapping[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    unknown = sorted(set(request) - _FIELDS)
    if unknown:
        raise ClientInvalid([f"unknown field {name!r}" for name in unknown])
    given = [name for name in CREDENTIALS if request.get(name) not in (None, False)]
    if len(given) != 1:
        raise ClientInvalid(["give exactly one of certificate, jwks, jwks_uri or generate_secret"])
    account = request.get("account")
    if not isinstance(account, str):
        raise ClientInvalid(["account is required"])
    if request.get("generate_secret") not in (None, False, True):
        raise ClientInvalid(["generate_secret must be true or false"])
    document = {
        name: request[name]
        for name in ("id", "scopes", "default_scopes", "subjects", "audience")
        if request.get(name) is not None
    }
    secret = None
    if given == ["generate_secret"]:
        secret = new_credential(SECRET_PREFIX)
        document["secret_sha256"] = hash_secret(secret)
    else:
        document[given[0]] = request[given[0]]
    default = _SECRET_GRANTS if secret else _KEY_GRANTS
    document["grant_types"] = request.get("grant_types") or default
    return account, document, secret


def _problems(error: PolicyError | ValidationError) -> list[str]:
    if isinstance(error, PolicyError):  # messages start with the path: drop "clients[0]"
        return [
            problem.message.removeprefix("clients[0].").removeprefix("clients[0]: ")
            for problem in error.problems
        ]
    problems = []
    for problem in error.errors():
        path = tuple(problem["loc"])
        where = format_path(path[2:] if path[:2] == ("clients", 0) else path)
        problems.append(f"{where or 'client'}: {problem['msg']}")
    return problems


def validate_addition(
    request: Mapping[str, Any], now: datetime
) -> tuple[str, dict[str, Any], str | None]:
    """``(account, stored document, generated secret)`` or :class:`ClientInvalid`."""
    account, document, secret = _document(request)
    try:
        policy = Policy.model_validate({"account": account, "clients": [document]})
    except ValidationError as error:
        raise ClientInvalid(_problems(error)) from None
    problems = check_policy(policy, "<client>", now)
    if problems:
        raise ClientInvalid(_problems(PolicyError(problems)))
    return account, policy.clients[0].model_dump(mode="json"), secret


def _conflict_check(client_id: str, account: str) -> Any:
    def check(policies: Mapping[str, StoredPolicy]) -> None:
        if account not in policies:
            raise ClientInvalid([f"account {account!r} has no applied policy"])
        for name, stored in policies.items():
            document = stored.document
            if any(c.get("id") == client_id for c in document.get("clients", [])):
                raise ClientConflict(f"client {client_id} is defined in the policy of {name}")
            if any(t.get("issuer") == client_id for t in document.get("trusted_issuers", [])):
                raise ClientConflict(f"{client_id} is a trusted issuer of account {name}")

    return check


async def add_client(
    database: Database, request: Mapping[str, Any], *, now: float | None = None
) -> Registered:
    """Validate and store one client (raises ClientInvalid, ClientConflict)."""
    moment = time.time() if now is None else now
    account, document, secret = validate_addition(request, datetime.fromtimestamp(moment, UTC))
    client = StoredClient(document["id"], account, document, moment)
    try:
        await ClientRepository(database).add(client, _conflict_check(client.id, account))
    except ClientExists:
        raise ClientConflict(f"client {client.id} is already registered") from None
    return Registered(client, secret)


async def remove_client(database: Database, client_id: str) -> None:
    """Remove a registered client (ClientNotFound; a policy client is a ClientConflict)."""
    if await ClientRepository(database).remove(client_id):
        return
    _, policies = await PolicyRepository(database).load_all()
    for name, stored in policies.items():
        if any(c.get("id") == client_id for c in stored.document.get("clients", [])):
            raise ClientConflict(
                f"client {client_id} is defined in the policy of {name}: change the policy"
            )
    raise ClientNotFound(f"no registered client {client_id}")


def describe_client(
    account: str, document: Mapping[str, Any], origin: str, created_at: float | None
) -> dict[str, Any]:
    """One line of ``client list``: never the credential itself, only its kind."""
    credential = next(
        name for name in ("certificate", "jwks", "jwks_uri", "secret_sha256") if document.get(name)
    )
    return {
        "id": document["id"],
        "account": account,
        "origin": origin,
        "credential": credential,
        "grant_types": document.get("grant_types", []),
        "scopes": document.get("scopes", []),
        "default_scopes": document.get("default_scopes", []),
        "subjects": document.get("subjects", []),
        "audience": document.get("audience", []),
        "created_at": created_at,
    }


async def list_clients(database: Database) -> list[dict[str, Any]]:
    """Every client: the policies' (origin ``policy``) and the registry's, by id."""
    _, policies = await PolicyRepository(database).load_all()
    listed = [
        describe_client(name, client, "policy", stored.applied_at)
        for name, stored in policies.items()
        for client in stored.document.get("clients", [])
    ]
    listed += [
        describe_client(c.account, c.document, "registry", c.created_at)
        for c in await ClientRepository(database).all()
    ]
    return sorted(listed, key=lambda entry: str(entry["id"]))


def check_policy_against_registry(
    policy: Policy, registered: Mapping[str, str], filename: str
) -> None:
    """SPEC §3 at apply: a policy's client ids and trusted issuers are not registry ids."""
    problems: list[PolicyProblem] = []
    for i, client in enumerate(policy.clients):
        if client.id in registered:
            problems.append(
                policy.positions.problem(
                    filename,
                    ("clients", i, "id"),
                    f"client id {client.id!r} is registered with `jwtgate client add` "
                    f"(account {registered[client.id]}); remove it there first",
                )
            )
    for i, trusted in enumerate(policy.trusted_issuers):
        if trusted.issuer in registered:
            problems.append(
                policy.positions.problem(
                    filename,
                    ("trusted_issuers", i, "issuer"),
                    f"{trusted.issuer!r} is a client id of the registry",
                )
            )
    if problems:
        raise PolicyError(problems)
