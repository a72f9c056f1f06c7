from __future__ import annotations

from pathlib import Path

import pytest

from fixers.rules import multiple_processes
from tests.fixers.helpers import corpus_report, run

CASES = [
    # process managers started by the final image
    ('FROM debian\nCMD ["/usr/bin/supervisord", "-n"]\n', [(2, "DM203")]),
    ("FROM debian\nCMD supervisord -c /etc/supervisor/supervisord.conf\n", [(2, "DM203")]),
    ('FROM debian\nENTRYPOINT ["/init"]\n', [(2, "DM203")]),
    ('FROM phusion/baseimage:jammy-1.0.1\nCMD ["/sbin/my_init"]\n', [(2, "DM203")]),
    ('FROM debian\nCMD ["runsvdir", "/etc/service"]\n', [(2, "DM203")]),
    ('FROM centos:7\nCMD ["/usr/sbin/init"]\n', [(2, "DM203")]),
    ('FROM debian\nENTRYPOINT ["tini", "--", "supervisord"]\n', [(2, "DM203")]),
    # backgrounding with & (not &&, not 2>&1)
    ("FROM debian\nCMD php-fpm & nginx -g 'daemon off;'\n", [(2, "DM203")]),
    ('FROM debian\nCMD ["sh", "-c", "worker & exec web"]\n', [(2, "DM203")]),
    ('FROM debian\nENTRYPOINT ["/bin/bash", "-lc", "(cron &) && exec app"]\n', [(2, "DM203")]),
    ("FROM debian\nCMD nginx && \\\n    # then the app\n    app &\n", [(2, "DM203")]),
    ("FROM debian\r\nCMD a & b\r\n", [(2, "DM203")]),
    ("FROM debian\nCMD app --flag && echo done\n", []),
    ("FROM debian\nCMD app 2>&1 | tee /proc/1/fd/1\n", []),
    ("FROM debian\nCMD app &> /dev/null\n", []),
    ('FROM debian\nCMD ["app", "a & b"]\n', []),
    # services started before the main process
    ("FROM debian\nCMD service cron start && exec apache2ctl -D FOREGROUND\n", [(2, "DM203")]),
    ("FROM debian\nCMD /etc/init.d/mysql start; tail -f /var/log/mysql.log\n", [(2, "DM203")]),
    ("FROM debian\nCMD service nginx start\n", []),
    ("FROM debian\nCMD service nginx status && app\n", []),
    # a manager installed in the final image and started elsewhere (a script)
    ('FROM debian\nRUN apt-get install -y supervisor\nCMD ["/start.sh"]\n', [(2, "DM203")]),
    ("FROM python:3.12\nRUN pip install --no-cache-dir supervisor==4.2.5\n", [(2, "DM203")]),
    ("FROM alpine\nRUN apk add --no-cache runit\n", [(2, "DM203")]),
    (
        "FROM alpine\nADD https://github.com/just-containers/s6-overlay/releases/download/v3/s6-overlay.tar.xz /tmp\n",
        [(2, "DM203")],
    ),
    ("FROM debian\nRUN <<EOF\napt-get install -y supervisor\nEOF\n", [(2, "DM203")]),
    ('FROM debian\nRUN apt-get install -y supervisor\nCMD ["supervisord"]\n', [(3, "DM203")]),
    ("FROM debian\nRUN pip install supervisor-stdout-ng requests\n", []),
    # only the final stage and the stages it is built FROM count
    ('FROM debian AS build\nCMD ["supervisord"]\nFROM debian\nCMD ["app"]\n', []),
    ("FROM debian AS build\nRUN apt-get install -y supervisor\nFROM debian\nCOPY --from=build /x /x\n", []),
    ('FROM debian AS base\nCMD ["supervisord"]\nFROM base\nRUN true\n', [(2, "DM203")]),
    ('FROM debian AS base\nCMD ["supervisord"]\nFROM base\nCMD ["app"]\n', []),
    ('FROM debian AS base\nCMD ["supervisord"]\nFROM base\nENTRYPOINT ["app"]\n', []),
    ('FROM debian AS base\nCMD ["supervisord"]\nENTRYPOINT ["tini", "--"]\nFROM base\n', [(2, "DM203")]),
    ('FROM debian AS base\nRUN apt-get install -y runit\nfrom base\ncmd ["app"]\n', [(2, "DM203")]),
    # single-child inits and plain servers are fine
    ('FROM debian\nENTRYPOINT ["tini", "--"]\nCMD ["app"]\n', []),
    ('FROM debian\nENTRYPOINT ["dumb-init", "--"]\nCMD nginx -g "daemon off;"\n', []),
    ('FROM debian\nCMD ["nginx", "-g", "daemon off;"]\n', []),
    ("FROM debian\nRUN service postgresql start && psql -c 'select 1' && service postgresql stop\n", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(multiple_processes, text)
    assert report.error is None
    assert report.after == report.before
    assert [(f.line, f.code) for f in report.findings] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('FROM debian\nCMD ["supervisord"]\n', "CMD starts supervisord, which runs several processes"),
        ('FROM debian\nENTRYPOINT ["/init"]\n', "ENTRYPOINT starts s6-overlay, which runs several processes"),
        ("FROM debian\nCMD a & b\n", "CMD runs a process in the background with &"),
        ("FROM debian\nRUN apt-get install -y supervisor\n", "RUN installs supervisor, a manager of several processes"),
    ],
)
def test_messages(text: str, message: str) -> None:
    assert [f.message for f in run(multiple_processes, text).findings] == [message]


# Files of the corpus that showed a false positive or prove a true one.
REGRESSIONS = [
    ("home-assistant__docker-base__debian__Dockerfile", [(103, "DM203")]),  # ENTRYPOINT ["/init"]
    ("discourse__discourse_docker__image__base__Dockerfile", [(88, "DM203")]),  # installs runit
    ("hoppscotch__hoppscotch__prod.Dockerfile", []),  # `a & b` only in a stage that is not the final one
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), REGRESSIONS)
def test_corpus_regressions(corpus_files: list[Path], name: str, expected: list[tuple[int, str]]) -> None:
    report = corpus_report(multiple_processes, corpus_files, name)
    assert [(f.line, f.code) for f in report.findings] == expected
