"""Build every pair before and after its rewrite and compare the images (marker ``equivalence``)."""

from __future__ import annotations

import pytest

from tests.equivalence.cases import Case, dm103, dm104, dm105, dm106, dm107, dm108, dm109, dm110, dm111, probes
from tests.equivalence.cases.corpus import corpus_cases
from tests.equivalence.pairs import Outcome, Pairs

pytestmark = pytest.mark.equivalence

SYNTHETIC = [
    *dm103.CASES,
    *dm104.CASES,
    *dm105.CASES,
    *dm106.CASES,
    *dm107.CASES,
    *dm108.CASES,
    *dm109.CASES,
    *dm110.CASES,
    *dm111.CASES,
]
CORPUS, NOT_BUILT = corpus_cases()


def _params(cases: list[Case]) -> list[object]:
    return [pytest.param(case, id=case.key) for case in cases]


def _outcome(pairs: Pairs, case: Case) -> Outcome:
    outcome = pairs.result(case)
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    assert outcome.error is None, outcome.report()
    return outcome


@pytest.mark.parametrize(
    "case",
    _params(SYNTHETIC + CORPUS)
    + [pytest.param(s, id=s.id, marks=pytest.mark.skip(reason=s.reason)) for s in NOT_BUILT],
)
def test_rewrite_stays_within_its_declaration(case: Case, pairs: Pairs) -> None:
    outcome = _outcome(pairs, case)
    assert not outcome.outside, f"{outcome.report()}\n\nDockerfile after the rewrite:\n{outcome.after}"


@pytest.mark.parametrize("case", _params(probes.MUTANTS))
def test_a_wrong_rewrite_is_caught(case: Case, pairs: Pairs) -> None:
    outcome = _outcome(pairs, case)
    assert outcome.outside, f"{case.id}: the comparison found nothing outside {case.code}'s declaration"
    assert any(case.note in line for line in outcome.outside), "\n".join(outcome.outside)


@pytest.mark.parametrize("case", _params(probes.CONTROLS))
def test_one_dockerfile_built_twice_gives_the_same_image(case: Case, pairs: Pairs) -> None:
    outcome = _outcome(pairs, case)
    assert not outcome.outside, "\n".join(outcome.outside)
