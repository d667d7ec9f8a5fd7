"""Moved to ``igsn_graph.db`` (the schema and connections live below their users); this name stays for code written
before the move."""

from ..db import SCHEMA_VERSION, Database, connect_read_only, create_schema

__all__ = ["Database", "SCHEMA_VERSION", "create_schema", "connect_read_only"]
