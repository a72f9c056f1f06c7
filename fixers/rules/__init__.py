"""One module per fixer (DM1xx) or check (DM2xx); all listed in fixers.registry."""
