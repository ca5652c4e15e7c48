"""Persistence: SQLAlchemy Core on SQLite or PostgreSQL, one repository per table."""

from jwtgate.store.audit import AuditRepository
from jwtgate.store.clients import ClientExists, ClientRepository, StoredClient
from jwtgate.store.db import Database, StoreUnavailable
from jwtgate.store.keys import KeyRepository
from jwtgate.store.meta import MetaRepository
from jwtgate.store.policies import PolicyRepository, StoredPolicy
from jwtgate.store.secrets import SecretRepository

__all__ = [
    "AuditRepository",
    "ClientExists",
    "ClientRepository",
    "Database",
    "KeyRepository",
    "MetaRepository",
    "PolicyRepository",
    "SecretRepository",
    "StoreUnavailable",
    "StoredClient",
    "StoredPolicy",
]
