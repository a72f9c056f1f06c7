"""Golden files, ruff-style: ``cases/<CODE>/<name>.Dockerfile`` beside its exact expected
output ``<name>.fixed`` (equal to the input when the right answer is "no change").

Only the folder's fixer runs, through the engine and its safety gate, and a second run
changes nothing. An optional ``<name>.yml`` gives the case its surroundings:

- ``files``: build-context files (path: text), e.g. a wrapper script; ``fixed_files``:
  the exact text of each context file the fixer rewrites (none, when absent);
- ``repo``: what is known of the repository (name, url, description, license);
- ``labels``: configured label values; ``label_policy``: the ``labels:`` policy (profile,
  single_image, titles); ``path``: the Dockerfile's path in the repository;
- ``policy``: the ``images:`` policy;
- ``tags``: a registry (image: [tags]); ``created``: ``image:tag``: ISO date of its config;
  ``same``: ``image:tag``: another tag of that image with the same digest (a pin's target).

Review a ``.fixed`` file as a maintainer would review the pull request: a diff you would
not merge is a failing case, not an expected one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fixers.base import Context, ImageConfig, ImagePolicy, ImageUnreachable, LabelPolicy, RepoInfo
from fixers.engine import run_fixers
from fixers.registry import FIXERS, by_name

CASES = Path(__file__).parent / "cases"


class Files:
    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = files

    def read(self, path: str) -> bytes | None:
        text = self._files.get(path.removeprefix("./"))
        return None if text is None else text.encode()


class Registry:
    """A registry of the case's tags; digests derive from the reference."""

    def __init__(
        self, tags: Mapping[str, Sequence[str]], created: Mapping[str, str], same: Mapping[str, str] | None = None
    ) -> None:
        self._tags, self._created, self._same = tags, created, same or {}

    def tags(self, image: str) -> Sequence[str]:
        if image not in self._tags:
            raise ImageUnreachable(f"{image}: not found")
        return sorted(self._tags[image])

    def digest(self, image: str, reference: str, platform: str | None = None) -> str:
        if reference.startswith("sha256:"):
            return reference
        if reference not in self.tags(image):
            raise ImageUnreachable(f"{image}:{reference}: not found")
        reference = self._same.get(f"{image}:{reference}", reference)
        return "sha256:" + hashlib.sha256(f"{image}:{reference}:{platform}".encode()).hexdigest()

    def config(self, image: str, reference: str, platform: str) -> ImageConfig:
        when = self._created.get(f"{image}:{reference}")
        created = datetime.fromisoformat(when) if when else None
        return ImageConfig(digest=self.digest(image, reference, platform), created=created)


def context(path: Path, options: dict[str, Any]) -> Context:
    policy = dict(options.get("policy") or {})
    if "update_types" in policy:
        policy["update_types"] = frozenset(policy["update_types"])
    tags = options.get("tags")
    label_policy = dict(options.get("label_policy") or {})
    return Context(
        path=options.get("path") or path.name,
        repo=RepoInfo(**(options.get("repo") or {})),
        labels=options.get("labels") or {},
        label_policy=LabelPolicy(**label_policy),
        files=Files(options.get("files") or {}),
        offline=tags is None,
        resolver=Registry(tags, options.get("created") or {}, options.get("same")) if tags is not None else None,
        policy=ImagePolicy(**policy),
    )


def cases() -> list[Any]:
    found = []
    for source in sorted(CASES.glob("*/*.Dockerfile")):
        found.append(pytest.param(source, id=f"{source.parent.name}/{source.stem}"))
    return found


@pytest.mark.parametrize("source", cases())
def test_golden(source: Path) -> None:
    code = source.parent.name
    assert code in FIXERS, f"{source.parent} is not named after a fixer code"
    expected = source.with_suffix(".fixed")
    assert expected.exists(), f"{expected.name} is missing: write the exact expected output beside the case"
    options_file = source.with_suffix(".yml")
    options = YAML(typ="safe").load(options_file.read_text()) if options_file.exists() else {}
    ctx = context(source, options or {})
    report = run_fixers(source.name, source.read_bytes(), ctx, [FIXERS[code]], by_name())
    assert report.error is None, report.error
    assert report.after.decode() == expected.read_text(), f"{source} differs from {expected.name}"
    assert {c.path: c.after.decode() for c in report.files} == (options or {}).get("fixed_files", {})
    again = run_fixers(source.name, report.after, ctx, [FIXERS[code]], by_name())
    assert again.after == report.after, "not idempotent"


def test_every_rewriting_fixer_has_cases_and_a_no_change_case() -> None:
    for code, fixer in FIXERS.items():
        if fixer.RISK.value == "report":
            continue
        sources = list((CASES / code).glob("*.Dockerfile"))
        assert sources, f"no golden case for {code}"
        unchanged = [s for s in sources if s.read_bytes() == s.with_suffix(".fixed").read_bytes()]
        assert unchanged, f"{code} has no 'no change' case"
