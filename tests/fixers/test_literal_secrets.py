from __future__ import annotations

from pathlib import Path

import pytest

from fixers.rules import literal_secrets
from fixers.rules.literal_secrets import is_literal, is_secret_name
from tests.fixers.helpers import corpus_report, run

CASES = [
    # ENV, both forms, every stage
    ("FROM debian\nENV DB_PASSWORD=hunter2\n", [(2, "DM201")]),
    ("FROM debian\nENV DB_PASSWORD hunter2\n", [(2, "DM201")]),
    ('FROM debian\nENV A=1 MYSQL_ROOT_PASSWORD="my secret" B=2\n', [(2, "DM201")]),
    ("FROM debian\nENV A=1 \\\n    # the token\n    GITHUB_TOKEN=ghp_abc \\\n    B=2\n", [(2, "DM201")]),
    ("FROM debian AS build\nENV NPM_TOKEN=abc\nFROM alpine\nCOPY --from=build /x /x\n", [(2, "DM201")]),
    ("FROM debian\nenv SECRET_KEY_BASE=0123abcd\n", [(2, "DM201")]),
    ("FROM debian\nENV AWS_SECRET_ACCESS_KEY=abc AWS_ACCESS_KEY_ID=AKIA\n", [(2, "DM201")]),
    ("FROM debian\nENV dbPassword=x1\n", [(2, "DM201")]),
    ("FROM debian\nENV API_KEY=k PRIVATE_KEY=p\n", [(2, "DM201"), (2, "DM201")]),
    ("FROM debian\nENV ADMIN_PASS=admin\n", [(2, "DM201")]),
    ("FROM debian\nENV DB_PASSWORD=${DB_PASSWORD:-changeme}\n", [(2, "DM201")]),
    ("FROM debian\r\nENV DB_PASSWORD=hunter2\r\n", [(2, "DM201")]),
    ("# escape=`\nFROM debian\nENV A=1 `\n    DB_PASSWORD=x\n", [(3, "DM201")]),
    # ARG: a default value is a literal; no default is the right way
    ("ARG REGISTRY_TOKEN=abc\nFROM debian\n", [(1, "DM201")]),
    ("FROM debian\nARG GITHUB_TOKEN=abc\n", [(2, "DM201")]),
    ("FROM debian\nARG GITHUB_TOKEN\n", []),
    ('FROM debian\nARG NPM_TOKEN=""\n', []),
    # references, paths, flags, names that are about a secret but are not one
    ("FROM debian\nENV DB_PASSWORD=$DB_PASSWORD\n", []),
    ("FROM debian\nENV DB_PASSWORD=${DB_PASSWORD}\n", []),
    ('FROM debian\nENV DB_PASSWORD="${DB_PASSWORD}"\n', []),
    ("FROM debian\nENV DB_PASSWORD=${DB_PASSWORD:-}\n", []),
    ("FROM debian\nENV DB_PASSWORD=\n", []),
    ("FROM postgres\nENV POSTGRES_PASSWORD_FILE=/run/secrets/db\n", []),
    ("FROM minio/minio\nENV MINIO_ROOT_PASSWORD_FILE=secret_key\n", []),
    ("FROM debian\nENV GOOGLE_APPLICATION_CREDENTIALS=/run/config/key.json\n", []),
    ("FROM debian\nENV PASSWORD_AUTH=false SECRET_ENABLED=true\n", []),
    ("FROM debian\nENV TOKEN_URL=https://example.org/token PASSWORD_MIN_LENGTH=8\n", []),
    ("FROM debian\nENV GPG_KEY=0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D SWIFT_SIGNING_KEY=A62AE\n", []),
    ("FROM debian\nENV BYPASS4NETNS_VERSION=0.4 KEYCLOAK_VERSION=24 TOKENIZERS_PARALLELISM=false\n", []),
    ("FROM nginx\nENV NGINX_SERVER_TOKENS=off PASSENGER_VERSION=6\n", []),
    ("FROM debian\nLABEL DB_PASSWORD=x\n", []),
    # passwords set in RUN
    ("FROM debian\nRUN echo 'root:root' | chpasswd\n", [(2, "DM201")]),
    ('FROM debian\nRUN useradd -m app \\\n && printf "app:app" | chpasswd\n', [(2, "DM201")]),
    ("FROM debian\nRUN echo $USER:secret | chpasswd\n", [(2, "DM201")]),
    ("FROM debian\nRUN chpasswd <<< 'root:root'\n", [(2, "DM201")]),
    ("FROM centos\nRUN echo 'pw' | passwd --stdin root\n", [(2, "DM201")]),
    ("FROM centos\nRUN useradd -p s3cret app\n", [(2, "DM201")]),
    ("FROM nginx\nRUN htpasswd -bc /etc/nginx/.htpasswd admin admin\n", [(2, "DM201")]),
    ("FROM debian\nRUN sh -c \"echo 'root:root' | chpasswd\"\n", [(2, "DM201")]),
    ("FROM debian\nRUN <<EOF\nset -e\necho 'root:root' | chpasswd\nEOF\n", [(2, "DM201")]),
    ('FROM debian\nRUN echo "root:$ROOT_PASSWORD" | chpasswd\n', []),
    ('FROM debian\nRUN echo "$CREDENTIALS" | chpasswd\n', []),
    ("FROM debian\nRUN useradd -p '*' app && usermod -p \"$HASH\" app\n", []),
    ("FROM debian\nRUN adduser --disabled-password app\n", []),
    ("FROM debian\nRUN htpasswd -c /etc/htpasswd admin\n", []),
    ("FROM debian\nRUN cat <<EOF > /etc/notes\necho 'root:root' | chpasswd\nEOF\n", []),
    ("FROM debian\nRUN --mount=type=secret,id=pw chpasswd < /run/secrets/pw\n", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(literal_secrets, text)
    assert report.error is None
    assert report.after == report.before
    assert [(f.line, f.code) for f in report.findings] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM debian\nENV DB_PASSWORD=hunter2\n", "ENV DB_PASSWORD has a literal value"),
        ("FROM debian\nARG API_TOKEN=hunter2\n", "ARG API_TOKEN has a literal default value"),
        ("FROM debian\nRUN echo 'root:hunter2' | chpasswd\n", "RUN sets a password from a literal with chpasswd"),
    ],
)
def test_messages_never_show_the_value(text: str, message: str) -> None:
    [finding] = run(literal_secrets, text).findings
    assert finding.message == message
    assert "hunter2" not in finding.message


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("PASSWORD", True),
        ("DB_PASS", True),
        ("db-password-2", True),
        ("OAuthToken", True),
        ("CLIENT_SECRET", True),
        ("APIKEY", True),
        ("NEW_RELIC_LICENSE_KEY", True),
        ("PASSWORD_HASH", True),
        ("PASSENGER", False),
        ("PASSWORD_FILE", False),
        ("TOKEN_ENDPOINT", False),
        ("ACCESS_KEY_ID", False),
        ("PRIVATE_KEY_PATH", False),
        ("GPG_KEY", False),
        ("PWD", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("x", True),
        ("'changeme'", True),
        ("prefix-$SUFFIX", True),
        ("${X:-default}", True),
        ("", False),
        ('""', False),
        ("$X", False),
        ("${X}${Y}", False),
        ("${X:+set}", False),
        ("/run/secrets/x", False),
        ("No", False),
    ],
)
def test_literal_values(value: str, literal: bool) -> None:
    assert is_literal(value) is literal


# Files of the corpus that showed a false positive or prove a true one.
REGRESSIONS = [
    ("conan-io__conan-docker-tools__images__base__Dockerfile", [(70, "DM201")]),  # printf "u:u" | chpasswd
    ("minio__minio__Dockerfile.release", []),  # MINIO_ROOT_PASSWORD_FILE=secret_key
    ("jitsi__docker-jitsi-meet__jigasi__Dockerfile", []),  # GOOGLE_APPLICATION_CREDENTIALS=/run/...
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), REGRESSIONS)
def test_corpus_regressions(corpus_files: list[Path], name: str, expected: list[tuple[int, str]]) -> None:
    report = corpus_report(literal_secrets, corpus_files, name)
    assert [(f.line, f.code) for f in report.findings] == expected
