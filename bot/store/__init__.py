"""Persistence: the store protocol the core depends on, and its SQLAlchemy implementation."""

from bot.store.protocol import Store
from bot.store.sql_store import SqlStore, StoreUnavailable, open_store, opened_store

__all__ = ["SqlStore", "Store", "StoreUnavailable", "open_store", "opened_store"]
