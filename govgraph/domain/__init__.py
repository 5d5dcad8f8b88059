"""Pure domain rules (no I/O): identifiers, calendars, indices and formulas from DOMAIN.md."""
