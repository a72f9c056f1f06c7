"""Run identifiers: one format for the CLI, the scheduler, chat and the state database."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and short enough to type in chat: ``20250106T060000Z-1a2b3c``."""
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
