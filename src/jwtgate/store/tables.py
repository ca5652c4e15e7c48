"""The relational schema, as SQLAlchemy Core tables (one schema for SQLite and PostgreSQL).

Alembic migrations under ``migrations/`` create exactly these; a test compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per kind of shared state ("policy", "keys"); every change bumps its version
# in the same transaction, and every instance polls this small table to reload.
versions = Table(
    "versions",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(128), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("retired_at", Float, nullable=True),
)

policies = Table(
    "policies",
    metadata,
    Column("account", String(128), primary_key=True),
    Column("document", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("applied_at", Float, nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("front_door", String(32), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("code", String(64), nullable=True),
    Column("reason", String(64), nullable=True),
    Column("account", String(128), nullable=True),
    Column("authenticator", String(128), nullable=True),
    Column("subject", String(512), nullable=True),
    Column("client_id", String(256), nullable=True),
    Column("claims", Text, nullable=True),
    Column("claims_expire_at", Float, nullable=True),
    Index("ix_audit_events_time", "time"),
)

# OAuth clients registered with `jwtgate client add` (the policy file's clients live in
# `policies`): the document is a policy Client entry as JSON. Changes bump "clients".
registered_clients = Table(
    "registered_clients",
    metadata,
    Column("id", String(256), primary_key=True),
    Column("account", String(128), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Secret values (SPEC §2.4), sealed under the master key; numbered from 1 per variable.
secret_values = Table(
    "secret_values",
    metadata,
    Column("account", String(128), nullable=False),
    Column("variable_id", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    Column("value_sealed", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("account", "variable_id", "version"),
)
