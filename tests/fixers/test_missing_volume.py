from __future__ import annotations

from pathlib import Path

import pytest

from fixers.rules import missing_volume
from tests.fixers.helpers import corpus_report, run

CASES = [
    # the server is installed in the final image, or started by it
    ('FROM debian\nRUN apt-get install -y postgresql\nCMD ["/start.sh"]\n', [(2, "DM204")]),
    ("FROM debian\nRUN apt-get install -y postgresql-15\n", [(2, "DM204")]),
    ("FROM centos:7\nRUN yum -y install postgresql15-server\n", [(2, "DM204")]),
    ("FROM centos:7\nRUN yum -y install mariadb-server && yum clean all\n", [(2, "DM204")]),
    ("FROM debian\nRUN apt-get install -y default-mysql-server\n", [(2, "DM204")]),
    ("FROM alpine\nRUN apk add --no-cache mariadb\n", [(2, "DM204")]),
    ("FROM alpine\nRUN apk add --no-cache redis\n", [(2, "DM204")]),
    ("FROM centos:7\nRUN yum -y install rabbitmq-server\n", [(2, "DM204")]),
    ('FROM centos:7\nRUN yum -y install mongodb-server\nENTRYPOINT ["/usr/bin/mongod"]\n', [(3, "DM204")]),
    ('FROM debian\nRUN apt-get install -y \\\n    # db\n    mariadb-server\nCMD ["mysqld"]\n', [(5, "DM204")]),
    ('FROM ubuntu\nCMD ["gosu", "mysql", "mysqld"]\n', [(2, "DM204")]),
    ("FROM ubuntu\nCMD exec su postgres -c 'postgres -D /var/lib/postgresql/data'\n", [(2, "DM204")]),
    ("FROM ubuntu\r\nRUN apt-get install -y redis-server\r\n", [(2, "DM204")]),
    ("FROM debian\nRUN <<EOF\napt-get update\napt-get install -y postgresql\nEOF\n", [(2, "DM204")]),
    ("# escape=`\nFROM debian\nRUN apt-get install -y `\n    postgresql\n", [(3, "DM204")]),
    ('FROM debian AS base\nRUN apt-get install -y postgresql\nFROM base\nCMD ["x"]\n', [(2, "DM204")]),
    # a VOLUME covers the data directory (above, equal, below), here or in a parent stage
    ("FROM debian\nRUN apt-get install -y postgresql\nVOLUME /var/lib/postgresql\n", []),
    ('FROM debian\nRUN apt-get install -y postgresql\nVOLUME ["/var/lib/postgresql/data"]\n', []),
    ("FROM debian\nRUN apt-get install -y mariadb-server\nVOLUME /var/lib/mysql/\n", []),
    ("FROM debian\nRUN apt-get install -y mariadb-server\nvolume /var/lib\n", []),
    ("FROM debian AS base\nVOLUME /data/db\nFROM base\nRUN apt-get install -y mongodb-org\n", []),
    ("FROM debian\nENV PGDATA=/pgdata\nRUN apt-get install -y postgresql\nVOLUME /pgdata\n", []),
    ('FROM debian\nRUN apt-get install -y mongodb-org\nVOLUME /srv\nCMD ["mongod", "--dbpath", "/srv/db"]\n', []),
    ("FROM debian\nRUN apt-get install -y redis-server\nVOLUME $DATA_DIR\n", []),
    ("FROM debian\nENV PGDATA=$HOME/pg\nRUN apt-get install -y postgresql\n", []),
    # the moved data directory is named, and must be covered
    (
        "FROM debian\nENV PGDATA=/pgdata\nRUN apt-get install -y postgresql\nVOLUME /var/lib/other\n",
        [(3, "DM204")],
    ),
    # official images already declare their VOLUME; clients are not servers
    ("FROM postgres:16\nRUN apt-get install -y postgresql-16-postgis-3\n", []),
    ('FROM mysql:8.0\nCMD ["mysqld", "--character-set-server=utf8mb4"]\n', []),
    ('FROM bitnami/redis:7.2\nCMD ["redis-server"]\n', []),
    ("FROM debian\nRUN apt-get install -y postgresql-client redis-tools mariadb-client\n", []),
    ("FROM centos:7\nRUN yum -y install postgresql mariadb\n", []),
    ("FROM python:3.12\nRUN pip install redis psycopg2-binary\n", []),
    ("FROM debian\nRUN apt-get install -y nginx memcached\n", []),
    # only the final stage chain counts; unknown bases and Windows are left alone
    ("FROM debian AS test\nRUN apt-get install -y postgresql\nFROM debian\nCOPY --from=test /x /x\n", []),
    ('ARG BASE\nFROM $BASE\nCMD ["postgres"]\n', []),
    ('FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD ["mongod"]\n', []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(missing_volume, text)
    assert report.error is None
    assert report.after == report.before
    assert [(f.line, f.code) for f in report.findings] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "FROM debian\nRUN apt-get install -y postgresql\n",
            "PostgreSQL keeps its data in /var/lib/postgresql, which no VOLUME declares",
        ),
        (
            "FROM debian\nENV PGDATA=/pgdata\nRUN apt-get install -y postgresql\n",
            "PostgreSQL keeps its data in /pgdata, which no VOLUME declares",
        ),
    ],
)
def test_messages(text: str, message: str) -> None:
    assert [f.message for f in run(missing_volume, text).findings] == [message]


# Files of the corpus that showed a false positive or prove a true one.
REGRESSIONS = [
    ("CentOS__CentOS-Dockerfiles__mongodb__centos7__Dockerfile", [(16, "DM204")]),
    ("docker-library__postgres__12__Dockerfile", []),  # VOLUME /var/lib/postgresql/data
    ("docker-library__mongo__4.0__windows__windowsservercore-1803__Dockerfile", []),  # VOLUME C:\\data\\db
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), REGRESSIONS)
def test_corpus_regressions(corpus_files: list[Path], name: str, expected: list[tuple[int, str]]) -> None:
    report = corpus_report(missing_volume, corpus_files, name)
    assert [(f.line, f.code) for f in report.findings] == expected
