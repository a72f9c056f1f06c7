"""The estate the integration tests scan: one organisation (GitHub) or group (GitLab) of
22/21 repositories, every kind the bot must tell apart, with Dockerfiles drawn from
mistakes found in real repositories.

A :class:`Pattern` is one Dockerfile (and the files of its build context) with what
dockmend must make of it offline: the fixes by code, the diff lines each fix's excerpt
shows in the request body, and the findings it cannot fix. A :class:`Project` places
patterns in folders of one repository, or is one of the repositories the bot must
leave alone. The same estate seeds both emulators.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tests.emulators.github import MIT_LICENSE, GitHubEmulator

OWNER = "acme"


class Kind(StrEnum):
    FIXES = "needs fixes"
    ARCHIVED = "archived"
    FORK = "fork"
    EMPTY = "empty"
    TEMPLATE = "template"  # GitHub only: GitLab lists no such thing
    NO_DOCKERFILE = "no Dockerfile"
    OPTED_OUT = "opted out"
    CLEAN = "already clean"


@dataclass(frozen=True)
class Pattern:
    files: Mapping[str, str]  # relative to the Dockerfile's folder; "Dockerfile" is the one scanned
    excerpts: Mapping[str, tuple[str, ...]]  # fix code -> diff lines its excerpt shows
    findings: tuple[str, ...] = ()  # check codes reported, not fixed
    rewrites: tuple[str, ...] = ()  # build-context files the fixes change, besides the Dockerfile


# pip without --no-cache-dir; shell-form CMD on a python base
PIP = Pattern(
    {
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\nCOPY . .\nUSER 1000\nCMD python -m api\n",
        "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n",
    },
    {
        "DM104": ("-RUN pip install -r requirements.txt", "+RUN pip install --no-cache-dir -r requirements.txt"),
        "DM105": (),  # the labels name the repository: see test_fixed_files_in_full
        "DM106": ("-CMD python -m api", '+CMD ["python", "-m", "api"]'),
    },
)
# apt-get without removing the lists; shell-form CMD on a debian base
APT = Pattern(
    {
        "Dockerfile": "FROM debian:bookworm-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates\n"
        "COPY worker /usr/local/bin/worker\nUSER 1000\nCMD /usr/local/bin/worker --queue default\n",
        "worker": "#!/bin/sh\necho working\n",
    },
    {
        "DM104": (
            "-RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates",
            "+RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates"
            " && rm -rf /var/lib/apt/lists/*",
        ),
        "DM105": (),  # the labels name the repository: see test_fixed_files_in_full
        "DM106": ("-CMD /usr/local/bin/worker --queue default", '+CMD ["/usr/local/bin/worker", "--queue", "default"]'),
    },
)
# an entrypoint script whose last command does not exec: signals never reach the server
ENTRYPOINT = Pattern(
    {
        "Dockerfile": "FROM debian:bookworm-slim\nCOPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh\n"
        'USER 1000\nENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]\n',
        "docker-entrypoint.sh": '#!/bin/sh\nset -e\necho "starting"\n/usr/local/bin/server "$@"\n',
    },
    {
        "DM105": (),  # the labels name the repository: see test_fixed_files_in_full
        "DM107": ('-/usr/local/bin/server "$@"', '+exec /usr/local/bin/server "$@"'),
    },
    rewrites=("docker-entrypoint.sh",),
)
# the application copied before the package install: every commit reinstalls the packages
COPY_FIRST = Pattern(
    {
        "Dockerfile": "FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
        "COPY src/ ./src/\nRUN apt-get update && apt-get install -y --no-install-recommends git\n"
        'RUN npm ci --omit=dev\nUSER node\nCMD ["node", "src/server.js"]\n',
        "package.json": '{"name": "web", "version": "1.0.0"}\n',
        "src/server.js": "require('http').createServer().listen(8080)\n",
    },
    {
        "DM103": ("-RUN apt-get update && apt-get install -y --no-install-recommends git",),
        "DM104": ("+RUN npm ci --omit=dev && npm cache clean --force",),
        "DM105": (),  # the labels name the repository: see test_fixed_files_in_full
    },
)
# a literal secret and no USER (findings), pip and a shell-form CMD (fixes)
SECRETS = Pattern(
    {
        "Dockerfile": "FROM python:3.11\nENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "RUN pip install torch==2.3.0 numpy\nCOPY train.py /opt/train.py\nCMD python /opt/train.py\n",
        "train.py": "print('training')\n",
    },
    {
        "DM104": ("+RUN pip install --no-cache-dir torch==2.3.0 numpy",),
        "DM105": (),  # the labels name the repository: see test_fixed_files_in_full
        "DM106": ('+CMD ["python", "/opt/train.py"]',),
    },
    findings=("DM201", "DM206"),
)
# multi-stage Go build: apt without cleanup and a shell-form ENTRYPOINT in the final stage
GO = Pattern(
    {
        "Dockerfile": "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app ./cmd/app\n\n"
        "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y ca-certificates\n"
        "COPY --from=build /out/app /usr/local/bin/app\nUSER 65532\nENTRYPOINT /usr/local/bin/app\n",
        "cmd/app/main.go": "package main\n\nfunc main() {}\n",
    },
    {
        "DM104": ("+RUN apt-get update && apt-get install -y ca-certificates && rm -rf /var/lib/apt/lists/*",),
        "DM105": (),  # the labels name the repository: see test_fixed_files_in_full
        "DM106": ("-ENTRYPOINT /usr/local/bin/app", '+ENTRYPOINT ["/usr/local/bin/app"]'),
    },
)
_LABEL_KEYS = (
    "io.k8s.description", "io.k8s.display-name", "io.openshift.tags", "io.openshift.expose-services",
    "org.opencontainers.image.title", "org.opencontainers.image.description", "org.opencontainers.image.source",
    "org.opencontainers.image.url", "org.opencontainers.image.licenses", "org.opencontainers.image.vendor",
    "org.opencontainers.image.base.name",
)  # fmt: skip
# what a team that follows the guidelines already writes: nothing for dockmend to do
TIDY = Pattern(
    {
        "Dockerfile": "FROM alpine:3.20\nLABEL "
        + " \\\n      ".join(f'{key}="set by the team"' for key in _LABEL_KEYS)
        + '\nRUN apk add --no-cache curl\nUSER 1000\nCMD ["curl", "--version"]\n',
    },
    {},
)
PATTERNS = (PIP, APT, ENTRYPOINT, COPY_FIRST, SECRETS, GO)


@dataclass(frozen=True)
class Project:
    name: str  # unique in the estate; the repository's name
    kind: Kind
    folders: Mapping[str, Pattern] = field(default_factory=dict)  # folder ("" = top level) -> pattern
    extra: Mapping[str, str] = field(default_factory=dict)  # more files
    subgroup: str = ""  # GitLab: the subgroup below the group (GitHub has none)

    @property
    def files(self) -> dict[str, str]:
        placed = {
            f"{folder}/{path}" if folder else path: text
            for folder, pattern in self.folders.items()
            for path, text in pattern.files.items()
        }
        return {**placed, **self.extra}

    def dockerfile(self, folder: str) -> str:
        return f"{folder}/Dockerfile" if folder else "Dockerfile"

    @property
    def fixes(self) -> dict[str, tuple[str, ...]]:
        """Dockerfile path -> the codes of the fixes expected in it."""
        return {self.dockerfile(f): tuple(sorted(p.excerpts)) for f, p in self.folders.items() if p.excerpts}

    @property
    def changed(self) -> list[str]:
        """Every path the bot's commit changes."""
        return sorted(
            f"{folder}/{path}" if folder else path
            for folder, pattern in self.folders.items()
            if pattern.excerpts
            for path in ("Dockerfile", *pattern.rewrites)
        )

    @property
    def findings(self) -> dict[str, tuple[str, ...]]:
        return {self.dockerfile(f): p.findings for f, p in self.folders.items() if p.findings}


README = {"README.md": "# A service of Acme\n"}
SERVICES = tuple(
    Project(f"svc-{n:02d}", Kind.FIXES, {"": PATTERNS[n % len(PATTERNS)]}, README, subgroup="services" if n % 2 else "")
    for n in range(1, 9)
)
ESTATE = (
    Project("api", Kind.FIXES, {"": PIP}, {**README, "LICENSE": MIT_LICENSE}),  # DM105 names the licence
    Project("worker", Kind.FIXES, {"": APT}, README),
    Project("gateway", Kind.FIXES, {"": ENTRYPOINT}, README, subgroup="platform"),
    Project("web", Kind.FIXES, {"": COPY_FIRST}, README),
    Project("ml", Kind.FIXES, {"": SECRETS}, README, subgroup="platform"),
    Project(
        "monorepo",
        Kind.FIXES,
        {"services/billing": PIP, "services/auth": ENTRYPOINT, "tools/migrate": GO, "tools/lint": TIDY},
        {"docs/README.md": "# Monorepo\n"},
    ),
    *SERVICES,
    Project("legacy", Kind.ARCHIVED, {"": APT}, README),
    Project("api-fork", Kind.FORK, {"": PIP}, README),
    Project("empty", Kind.EMPTY),
    Project("starter", Kind.TEMPLATE, {"": PIP}, README),
    Project("docs", Kind.NO_DOCKERFILE, extra={"README.md": "# Docs\n", "mkdocs.yml": "site_name: Acme\n"}),
    Project("infra", Kind.NO_DOCKERFILE, extra={"main.tf": "terraform {}\n", "docker/README.md": "no images\n"}),
    Project("opted-out", Kind.OPTED_OUT, {"": APT}, {".dockmend.yml": "enabled: false\n"}, subgroup="platform"),
    Project("clean", Kind.CLEAN, {"": TIDY, "tools": TIDY}, README),
)


def fixable(forge: str) -> list[Project]:
    return [p for p in estate(forge) if p.kind is Kind.FIXES]


def estate(forge: str) -> list[Project]:
    return [p for p in ESTATE if forge == "github" or p.kind is not Kind.TEMPLATE]


def github_name(project: Project) -> str:
    return f"{OWNER}/{project.name}"


def gitlab_name(project: Project) -> str:
    return "/".join(part for part in (OWNER, project.subgroup, project.name) if part)


def seed_github(em: GitHubEmulator, projects: Sequence[Project] | None = None) -> None:
    fields = {
        Kind.ARCHIVED: {"archived": True},
        Kind.FORK: {"fork": True},
        Kind.TEMPLATE: {"is_template": True},
    }
    for project in estate("github") if projects is None else projects:
        files = None if project.kind is Kind.EMPTY else {k: v.encode() for k, v in project.files.items()}
        em.add_repo(github_name(project), files, description=f"Acme {project.name}", **fields.get(project.kind, {}))


def write_gitlab_seed(root: Path, projects: Sequence[Project] | None = None) -> Path:
    """The GitLab emulator's seed folder: group/subgroup/project, ``.project`` markers."""
    projects = estate("gitlab") if projects is None else projects
    origin = {p.name: gitlab_name(p) for p in projects}
    for project in projects:
        folder = root / gitlab_name(project)
        folder.mkdir(parents=True)
        settings: dict[str, object] = {"description": f"Acme {project.name}"}
        if project.kind is Kind.ARCHIVED:
            settings["archived"] = True
        if project.kind is Kind.FORK:
            settings["forked_from"] = origin[project.name.removesuffix("-fork")]
        (folder / ".project").write_text(json.dumps(settings))
        for path, text in project.files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
    return root
