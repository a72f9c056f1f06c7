from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import corpus
from tests.integration.forges import GitHub, started


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    return corpus.files()


@pytest.fixture(scope="session", autouse=True)
def state_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dockmend run`` records its runs; in tests, in a private SQLite file, never ./dockmend.db."""
    url = f"sqlite:///{tmp_path_factory.mktemp('state') / 'dockmend.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKMEND_DATABASE_URL", url)
        yield url


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[GitHub]:
    """A GitHub emulator holding the test estate's repositories (tests.integration.estate)."""
    with started("github", tmp_path / "forge") as made:
        assert isinstance(made, GitHub)
        yield made
