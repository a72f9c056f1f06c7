from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.forges import FORGES, started
from tests.integration.story import Story, tell


@pytest.fixture(scope="module", params=FORGES)
def story(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """The estate on one forge after the runs of :mod:`tests.integration.story` (one per module)."""
    with started(request.param, tmp_path_factory.mktemp(request.param)) as forge:
        yield tell(forge)
