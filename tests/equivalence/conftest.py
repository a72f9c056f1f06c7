"""Session fixtures for the equivalence suite: one build environment, pairs built two at a time.

The environment (a local docker-registry serving the base images, buildah with its own
storage under the session's temp folder) starts on first use; every pair the session
selected is submitted at once, so that the builds run ahead of the tests that read them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.equivalence.cases import Case
from tests.equivalence.pairs import Pairs
from tests.equivalence.session import Unavailable, environment

JOBS = 2  # builds at a time: these machines have two cores


def _selected(session: pytest.Session) -> list[Case]:
    found = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec else None
        if isinstance(case, Case) and not item.get_closest_marker("skip"):
            found.append(case)
    return found


@pytest.fixture(scope="session")
def pairs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pairs]:
    cases = _selected(request.session)
    work = tmp_path_factory.mktemp("equivalence")
    with ExitStack() as stack:
        try:
            env = stack.enter_context(environment(work, cases))
        except Unavailable as exc:
            if os.environ.get("DOCKMEND_REQUIRE_EQUIVALENCE"):  # CI: a missing tool is a failure, not a skip
                pytest.fail(f"equivalence builds unavailable: {exc}")
            pytest.skip(f"equivalence builds unavailable: {exc}")
        runner = Pairs(env, work, JOBS)
        stack.callback(runner.close)
        runner.submit(cases)
        yield runner


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The builds share one cache of base images and one registry: one xdist worker runs them all."""
    for item in items:
        if "tests/equivalence/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("equivalence"))
