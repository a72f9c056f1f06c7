"""``bench/fix_corpus.py --registry`` on a slice of the corpus: the local registry is
seeded with the slice's base images, and the registry-backed fixers ask it and act on its
answers. No timing is asserted."""

from __future__ import annotations

import re

import pytest

from bench import corpus_registry
from tests import corpus
from tests.registry.servers import registry_binary


@pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")
def test_the_registry_backed_fixers_run_on_the_corpus_against_a_local_registry() -> None:
    files = [p for p in corpus.files() if re.search(rb"^FROM python:3", p.read_bytes(), re.M)][:12]
    assert files, "the corpus has Dockerfiles built on python"
    images = corpus_registry.wanted(files)
    assert ("docker.io", "library/python") in images and all(tags for tags in images.values())
    lines = {line[:23].strip(): line[23:] for line in corpus_registry.run(files)}
    seeded = re.match(r"(\d+) repositories on (\d+) hosts, (\d+) tags", lines["registry seeded"])
    assert seeded and int(seeded[1]) == len(images) and int(seeded[3]) >= sum(map(len, images.values()))
    asked = re.match(r"(\d+) \(", lines["registry requests"])
    assert asked and int(asked[1]) > 0
    assert re.search(r"DM10[12] \d+", lines["registry fixes"]), lines  # pins or bumps from the seeded tags
    assert lines["files to try later"] == "0"
