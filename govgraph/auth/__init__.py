"""Identity (JWT), roles and access rules."""
