"""Persistence: SQLAlchemy Core on SQLite or PostgreSQL, one repository per table."""

from jwtgate.store.audit import AuditRepository
from jwtgate.store.db import Database, StoreUnavailable
from jwtgate.store.keys import KeyRepository
from jwtgate.store.meta import MetaRepository
from jwtgate.store.policies import PolicyRepository, StoredPolicy

__all__ = [
    "AuditRepository",
    "Database",
    "KeyRepository",
    "MetaRepository",
    "PolicyRepository",
    "StoreUnavailable",
    "StoredPolicy",
]
