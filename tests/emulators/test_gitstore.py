from __future__ import annotations

from pathlib import Path

from tests.emulators.gitstore import BOT, GitStore


def test_seed_commit_and_read(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    (seed / "acme" / "api" / "svc").mkdir(parents=True)
    (seed / "acme" / "api" / "svc" / "Dockerfile").write_bytes(b"FROM alpine:3.20\n")
    (seed / "acme" / "api" / "run.sh").write_bytes(b"#!/bin/sh\nnode app.js\n")
    (seed / "acme" / "empty").mkdir(parents=True)
    store = GitStore(tmp_path / "git")
    assert store.seed(seed, depth=2) == ["acme/api", "acme/empty"]
    assert store.branches("acme/empty") == {}
    main = store.head("acme/api", "main")
    assert main is not None
    entries = {e.path: e for e in store.tree("acme/api", main)}
    assert entries["run.sh"].mode == "100755" and entries["svc"].type == "tree"
    assert store.read("acme/api", main, "svc/Dockerfile") == b"FROM alpine:3.20\n"

    sha = store.commit_files(
        "acme/api", "dockmend/remediate", main, {"svc/Dockerfile": ("100644", b"FROM alpine:3.20.3\n")}, "DM102"
    )
    commit = store.commit_info("acme/api", sha)
    assert commit.parents == (main,) and (commit.author_name, commit.author_email) == BOT
    assert [c.sha for c in store.log("acme/api", "dockmend/remediate", "main")] == [sha]
    assert store.read("acme/api", "dockmend/remediate", "svc/Dockerfile") == b"FROM alpine:3.20.3\n"
    assert store.read("acme/api", "dockmend/remediate", "run.sh") == b"#!/bin/sh\nnode app.js\n"
    store.delete_ref("acme/api", "dockmend/remediate")
    assert set(store.branches("acme/api")) == {"main"}


def test_a_tree_without_a_file(tmp_path: Path) -> None:
    store = GitStore(tmp_path)
    main = store.create("acme/app", {"a/Dockerfile": b"FROM x\n", "b.txt": b"b\n"})
    assert main is not None
    sha = store.commit_files("acme/app", "main", main, {"a/Dockerfile": None}, "drop")
    assert [e.path for e in store.tree("acme/app", sha)] == ["b.txt"]
