"""Persistence: the store protocol the core depends on, and its SQLAlchemy implementation."""

from bot.store.protocol import Store
from bot.store.sql_store import SqlStore, open_store, opened_store

__all__ = ["SqlStore", "Store", "open_store", "opened_store"]
