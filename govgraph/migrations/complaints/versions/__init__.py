"""The complaints store's revisions, oldest first (read by Alembic, never imported)."""
