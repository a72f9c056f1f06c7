"""Property tests: generated Dockerfiles never crash the engine, the gate holds, and a
second run changes nothing."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixers.base import Context
from fixers.document import Document
from fixers.engine import run_fixers
from fixers.registry import FIXERS, by_name

PACKAGES = st.sampled_from(["curl", "git", "ca-certificates", "nginx", "python3", "make"])
IMAGES = st.sampled_from(["debian:bookworm", "alpine:3.20", "centos:7", "python:3.12-slim", "ubuntu", "scratch"])


@st.composite
def continued(draw: st.DrawFn, words: list[str], esc: str) -> str:
    """Words joined over continuation lines, with comments and blank lines inside."""
    out = words[0]
    for word in words[1:]:
        sep = draw(st.sampled_from([" ", f" {esc}\n    ", f" {esc}\n    # note\n    ", f" {esc}\n\n    "]))
        out += sep + word
    return out


@st.composite
def run_instruction(draw: st.DrawFn, esc: str) -> str:
    pkgs = draw(st.lists(PACKAGES, min_size=1, max_size=3))
    kind = draw(st.sampled_from(["apt", "apt-clean", "yum", "apk", "pip", "npm", "plain", "set-e", "heredoc"]))
    if kind == "heredoc":
        return "RUN <<EOF\napt-get update\napt-get install -y " + " ".join(pkgs) + "\nEOF"
    words = {
        "apt": ["apt-get", "update", "&&", "apt-get", "install", "-y", *pkgs],
        "apt-clean": [
            "apt-get",
            "update",
            "&&",
            "apt-get",
            "install",
            "-y",
            *pkgs,
            "&&",
            "rm",
            "-rf",
            "/var/lib/apt/lists/*",
        ],
        "yum": ["yum", "install", "-y", *pkgs],
        "apk": ["apk", "update", "&&", "apk", "add", *pkgs],
        "pip": ["pip", "install", *pkgs],
        "npm": ["npm", "install", "-g", *pkgs],
        "plain": ["echo", "built", ">", "/built.txt"],
        "set-e": ["set", "-eux;", "apt-get", "update;", "apt-get", "install", "-y", *pkgs],
    }[kind]
    return "RUN " + draw(continued(words, esc))


@st.composite
def instruction(draw: st.DrawFn, esc: str) -> str:
    choice = draw(st.integers(0, 9))
    if choice <= 3:
        return draw(run_instruction(esc))
    return draw(
        st.sampled_from(
            [
                "COPY app /app",
                "ADD requirements.txt /tmp/",
                "WORKDIR /srv",
                "ENV PATH=/opt/bin:$PATH",
                "EXPOSE 8080",
                'LABEL maintainer="someone"',
                "USER 1001",
                "# a comment",
                "",
                'CMD ["python3", "-m", "http.server"]',
                "CMD python3 -m http.server 8000",
                "ENTRYPOINT /entrypoint.sh",
                "cmd nginx -g 'daemon off;'",
                "COPY <<-CONF /etc/app.conf\n\tkey=1\n\tCONF",
            ]
        )
    )


@st.composite
def dockerfiles(draw: st.DrawFn) -> bytes:
    esc = draw(st.sampled_from(["\\", "`"]))
    lines = ["# escape=`"] if esc == "`" else []
    for stage in range(draw(st.integers(1, 3))):
        image = draw(IMAGES)
        lines.append(f"FROM {image} AS s{stage}" if draw(st.booleans()) else f"from {image}")
        lines += draw(st.lists(instruction(esc), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode()


def _kept(doc: Document) -> tuple[object, ...]:
    return (
        [(s.name, s.base) for s in doc.stages],
        Counter(h.content for i in doc.instructions for h in i.heredocs),
        Counter(c for _, c in doc.comments),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles())
def test_engine_never_crashes_holds_the_gate_and_is_idempotent(data: bytes) -> None:
    fixers = list(FIXERS.values())
    report = run_fixers("Dockerfile", data, Context(), fixers, by_name())
    assert report.error is None, report.error
    if not report.changed:
        assert report.after == data
        return
    before, after = Document.parse(data), Document.parse(report.after)
    assert _kept(after) == _kept(before)
    assert after.bom == before.bom
    again = run_fixers("Dockerfile", report.after, Context(), fixers, by_name())
    assert again.after == report.after
    assert not again.fixes
