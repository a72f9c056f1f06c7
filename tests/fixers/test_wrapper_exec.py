from __future__ import annotations

from pathlib import Path

import pytest

from fixers.base import Context
from fixers.engine import run_fixers
from fixers.rules import wrapper_exec
from tests.fixers.helpers import run

ENTRYPOINT = 'FROM debian:12\nCOPY entrypoint.sh /usr/local/bin/\nENTRYPOINT ["entrypoint.sh"]\nCMD ["app"]\n'


class Files:
    """A build context held in a dict (the fixer only ever reads it)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)


def changes(dockerfile: str, files: dict[str, bytes]) -> dict[str, bytes]:
    """The context files DM107 rewrites; asserts the Dockerfile is untouched and idempotence."""
    report = run(wrapper_exec, dockerfile, Context(files=Files(files)))
    assert report.error is None, report.error
    assert report.after == report.before
    assert all(f.code == "DM107" and "safety gate" not in f.message for f in report.findings), report.findings
    changed = {c.path: c.after for c in report.files}
    assert {c.path: c.before for c in report.files} == {p: files[p] for p in changed}
    again = run(wrapper_exec, dockerfile, Context(files=Files({**files, **changed})))
    assert again.fixes == [] and again.files == []
    return changed


SCRIPTS = [
    (b'#!/bin/sh\nset -e\necho "starting"\n"$@"\n', b'#!/bin/sh\nset -e\necho "starting"\nexec "$@"\n'),
    (b"#!/bin/bash\ncd /srv\n/usr/bin/app --serve\n", b"#!/bin/bash\ncd /srv\nexec /usr/bin/app --serve\n"),
    (b"#!/bin/sh\ngunicorn app:app -b 0.0.0.0:8000\n", b"#!/bin/sh\nexec gunicorn app:app -b 0.0.0.0:8000\n"),
    (b"#!/bin/sh\nnode server.js # start\n\n# done\n", b"#!/bin/sh\nexec node server.js # start\n\n# done\n"),
    (
        b"#!/bin/sh\nif [ -n \"$DEBUG\" ]; then\n  set -x\nfi\nnginx -g 'daemon off;'\n",
        b"#!/bin/sh\nif [ -n \"$DEBUG\" ]; then\n  set -x\nfi\nexec nginx -g 'daemon off;'\n",
    ),
    (b"#!/bin/sh\nnginx 2>&1\n", b"#!/bin/sh\nexec nginx 2>&1\n"),
    (b"#!/bin/sh\njava \\\n  -jar /app.jar\n", b"#!/bin/sh\nexec java \\\n  -jar /app.jar\n"),
    (b"#!/bin/sh\r\nset -e\r\nnode server.js\r\n", b"#!/bin/sh\r\nset -e\r\nexec node server.js\r\n"),
    (b"#!/bin/sh\r\njava \\\r\n  -jar /app.jar\r\n\r\n", b"#!/bin/sh\r\nexec java \\\r\n  -jar /app.jar\r\n\r\n"),
    (b"#!/usr/bin/env bash\nrails server\n", b"#!/usr/bin/env bash\nexec rails server\n"),
    (b"#!/bin/ash\nredis-server;\n", b"#!/bin/ash\nexec redis-server;\n"),
    (b"#!/bin/dash\n  \tmemcached\n", b"#!/bin/dash\n  \texec memcached\n"),
    (b"#! /bin/sh -e\nhttpd -DFOREGROUND", b"#! /bin/sh -e\nexec httpd -DFOREGROUND"),
    (
        b"#!/bin/sh\nsetup() {\n  mkdir -p /data\n}\nsetup\n/usr/sbin/httpd -DFOREGROUND\n",
        b"#!/bin/sh\nsetup() {\n  mkdir -p /data\n}\nsetup\nexec /usr/sbin/httpd -DFOREGROUND\n",
    ),
    (b"#!/bin/sh\n$APP_HOME/bin/server --port 80\n", b"#!/bin/sh\nexec $APP_HOME/bin/server --port 80\n"),
    (
        b"#!/bin/sh\n(cd /tmp && rm -rf cache)\nredis-server\n",
        b"#!/bin/sh\n(cd /tmp && rm -rf cache)\nexec redis-server\n",
    ),
    (b'#!/bin/sh\nchown -R app /data\ngosu app "$@"\n', b'#!/bin/sh\nchown -R app /data\nexec gosu app "$@"\n'),
    (b"#!/bin/sh\nexec >/var/log/app 2>&1\nnode app.js\n", b"#!/bin/sh\nexec >/var/log/app 2>&1\nexec node app.js\n"),
    (
        b'#!/bin/sh\ncase "$1" in\n  web) gunicorn app ;;\nesac\nnode app.js\n',
        b'#!/bin/sh\ncase "$1" in\n  web) gunicorn app ;;\nesac\nexec node app.js\n',
    ),
    ("#!/bin/sh\necho 'démarrage'\nnode app.js\n".encode(), "#!/bin/sh\necho 'démarrage'\nexec node app.js\n".encode()),
]


@pytest.mark.parametrize(("before", "after"), SCRIPTS)
def test_adds_exec_to_the_last_command(before: bytes, after: bytes) -> None:
    assert changes(ENTRYPOINT, {"entrypoint.sh": before}) == {"entrypoint.sh": after}


UNTOUCHED_SCRIPTS = [
    b'#!/bin/sh\nexec "$@"\n',
    b'#!/bin/sh\r\nset -e\r\nexec "$@"\r\n',
    b"#!/bin/sh\nFOO=1 exec node app.js\n",
    # the last command is not alone at the top level
    b'#!/bin/sh\nif [ "$1" = web ]; then\n  gunicorn app\nfi\n',
    b'#!/bin/sh\nif [ "$1" = web ]; then gunicorn app; else celery worker; fi\n',
    b"#!/bin/sh\nwhile true; do\n  worker\ndone\n",
    b"#!/bin/sh\nfor i in 1 2; do worker; done\n",
    b"#!/bin/sh\n{ echo start; node app.js; }\n",
    b"#!/bin/sh\n(node app.js)\n",
    b'#!/bin/sh\nmain() {\n  node app.js\n}\nmain "$@"\n',
    b"#!/bin/bash\nfunction run {\n  supervisord -n\n}\nrun\n",
    b"#!/bin/bash\nrun() { supervisord -n; }\nrun\n",
    b'#!/bin/sh\nstart() { node app.js; }\n"$@"\n',
    b"#!/bin/sh\nnode app.js &\n",
    b"#!/bin/sh\nsidecar &\nnode app.js\n",
    b"#!/bin/sh\nnode app.js | tee /var/log/app\n",
    b"#!/bin/sh\nmigrate && node app.js\n",
    b"#!/bin/sh\nmigrate &&\n  node app.js\n",
    b"#!/bin/sh\nnode app.js || exit 1\n",
    b"#!/bin/sh\nnode app.js; echo stopped\n",
    # builtins and keywords: exec would fail or change nothing
    b"#!/bin/sh\nnode app.js\necho done\n",
    b"#!/bin/sh\nnode app.js\nexit 0\n",
    b"#!/bin/sh\nnode app.js &\nwait\n",
    b"#!/bin/sh\nset -- node app.js\n",
    b"#!/bin/sh\ncd /srv\n",
    b"#!/bin/sh\ntrue\n",
    b"#!/bin/sh\n! node app.js\n",
    b"#!/bin/bash\ntime node app.js\n",
    # what runs is hidden, or the shell has work after the program
    b"#!/bin/sh\nNODE_ENV=production node app.js\n",
    b"#!/bin/sh\ntrap 'rm -f /tmp/app.pid' EXIT\nnode app.js\n",
    b"#!/bin/sh\n. /etc/app/env\nrun-server\n",
    b'#!/bin/sh\nsource /etc/app/env\n"$@"\n',
    b'#!/bin/sh\neval "$(app-config)"\nnode app.js\n',
    b"#!/bin/sh\nalias node='node --inspect'\nnode app.js\n",
    b"#!/bin/sh\n$SERVER --port 80\n",
    b"#!/bin/sh\n$(command -v node) app.js\n",
    b"#!/bin/sh\ncat <<EOF >/etc/app.conf\nport=80\nEOF\nnginx\n",
    b"#!/bin/sh\necho 'unterminated\nnginx\n",
    # not a POSIX shell script, or not text
    b"set -e\nnode app.js\n",
    b"#!/usr/bin/env python3\nmain()\n",
    b"#!/bin/zsh\nnode app.js\n",
    b"#!/bin/bash -l\nnode app.js\n",
    b"\xef\xbb\xbf#!/bin/sh\nnode app.js\n",
    b"#!/bin/sh\necho \xff\nnode app.js\n",
    b"#!/bin/sh\nnode\x00 app.js\n",
    b"#!/bin/sh\n" + b"# padding\n" * 30000 + b"node app.js\n",
    b"#!/bin/sh\n",
    b"",
    # shapes seen in entrypoint scripts of the corpus' repositories
    b'#!/bin/bash\ntrap stop SIGINT SIGTERM\nfunction stop() {\n\tkill $PID\n\twait $PID\n}\nnode red.js "${@}" &\n'
    b'PID="$!"\nwait "${PID}"\n',
    b"#!/bin/bash\n__setup() {\nmysql_install_db\n}\n__run() {\nsupervisord -n\n}\n__setup\n__run\n",
    b'#!/bin/bash\ntrap "kill -TERM -$pgrp; exit" EXIT TERM\nsource /etc/apache2/envvars\n'
    b"/usr/sbin/apachectl -D FOREGROUND\n",
    b'#!/usr/bin/env bash\nif [ "$1" = "elastic" ]; then\n    exec elasticsearch\nelse\n    exec "$@"\nfi\n',
    # daemons started in the background: the last command only keeps the container up
    b"#!/bin/sh\nservice mysql start\nservice apache2 start\ntail -f /var/log/apache2/error.log\n",
    b"#!/bin/sh\n/etc/init.d/cron start\nnginx -g 'daemon off;'\n",
    b"#!/bin/sh\nnohup redis-server\nnode app.js\n",
    b"#!/bin/sh\napachectl start\nsleep infinity\n",
    b"#!/bin/sh\nredis-server &\nnode app.js\n",
    b"#!/bin/sh\nphp-fpm -D\ntail -f /dev/null\n",
    b"#!/bin/sh\nworker\nsleep infinity\n",
    # the last command is housekeeping after the real server
    b"#!/bin/sh\n/usr/sbin/httpd -DFOREGROUND\nrm -f /run/httpd/httpd.pid\n",
    b"#!/bin/sh\nnode server.js\necho stopped\n",
    b"#!/bin/sh\nsetup\nchmod -R g=u /data\n",
]


@pytest.mark.parametrize("script", UNTOUCHED_SCRIPTS)
def test_leaves_scripts_alone(script: bytes) -> None:
    assert changes(ENTRYPOINT, {"entrypoint.sh": script}) == {}


SCRIPT = b"#!/bin/sh\nset -e\nnode server.js\n"
SCRIPT_EXEC = b"#!/bin/sh\nexec node app.js\n"
FOLLOWED = [
    ('FROM node:20\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY docker/run.sh /usr/local/bin/\nENTRYPOINT ["run.sh"]\n', "docker/run.sh", "docker/run.sh"),
    ('FROM node:20\nCOPY run.sh /usr/local/bin\nENTRYPOINT ["run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY --chmod=755 run.sh /srv/\nCMD ["/srv/run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY --chown=1000:0 ["run.sh", "/srv/run.sh"]\nCMD ["/srv/run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["./run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nWORKDIR /app\nCOPY run.sh bin/\nCMD ["bin/run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nWORKDIR /app\nWORKDIR sub\nCOPY . .\nCMD ["sh", "run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY scripts/ /opt/bin/\nENTRYPOINT ["/opt/bin/run.sh"]\n', "scripts/run.sh", "scripts/run.sh"),
    ('FROM node:20\nCOPY *.sh /usr/local/bin/\nENTRYPOINT ["run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY a.sh run.sh /\nENTRYPOINT ["/run.sh"]\n', "run.sh", "run.sh"),
    ("FROM node:20\nCOPY run.sh /\nENTRYPOINT /run.sh\n", "run.sh", "run.sh"),
    ("FROM node:20\nCOPY run.sh /\nENTRYPOINT exec /run.sh\n", "run.sh", "run.sh"),
    ('FROM node:20\nCOPY run.sh /\nCMD ["/bin/bash", "-c", "/run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY run.sh /\nENTRYPOINT ["/sbin/tini", "--", "/run.sh"]\n', "run.sh", "run.sh"),
    ('FROM node:20\nCOPY run.sh /\nENTRYPOINT ["tini", "--"]\nCMD ["/run.sh"]\n', "run.sh", "run.sh"),
    (
        'FROM node:20\nENV PATH=/opt/app/bin:$PATH\nCOPY bin/ /opt/app/bin/\nCMD ["run.sh"]\n',
        "bin/run.sh",
        "bin/run.sh",
    ),
    ("FROM node:20\nCOPY old.sh /run.sh\nCOPY run.sh /run.sh\nCMD /run.sh\n", "run.sh", "run.sh"),
    (
        'FROM node:20 AS base\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\nFROM base\nRUN npm ci\n',
        "run.sh",
        "run.sh",
    ),
    ('from node:20\r\ncopy run.sh /run.sh\r\nentrypoint ["/run.sh"]\r\n', "run.sh", "run.sh"),
    ('# escape=\\\nFROM node:20\nCOPY run.sh \\\n  /run.sh\nENTRYPOINT ["/run.sh"]\n', "run.sh", "run.sh"),
    # not followed: another source, a path this file cannot know, or not the final stage's
    ('FROM node:20\nCOPY --from=build /run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY run.sh /run.sh\nCOPY --from=build /out/ /\nENTRYPOINT ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nADD https://example.com/run.sh /run.sh\nENTRYPOINT ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nADD run.tar.gz /\nENTRYPOINT ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY <<EOF /run.sh\n#!/bin/sh\nnode x\nEOF\nENTRYPOINT ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY run.sh $APP/\nENTRYPOINT ["/app/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY run.sh bin/\nCMD ["bin/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY . .\nCMD ["./run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY run.sh /run.sh\nENTRYPOINT ["$HOME/run.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY run.sh /srv/\nCMD ["/other.sh"]\n', "run.sh", None),
    ('FROM node:20\nCOPY gone.sh /run.sh\nENTRYPOINT ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20 AS a\nCOPY run.sh /run.sh\nENTRYPOINT ["/run.sh"]\nFROM node:20\nCMD ["node"]\n', "run.sh", None),
    ('FROM node:20\nCOPY run.sh /run.sh\nENTRYPOINT ["python", "/run.sh"]\n', "run.sh", None),
    ("FROM node:20\nCOPY run.sh /run.sh\nCMD /run.sh && node app.js\n", "run.sh", None),
    ('FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY run.sh /run.sh\nCMD ["/run.sh"]\n', "run.sh", None),
    ('FROM node:20\n# dockmend ignore=DM107\nENTRYPOINT ["/run.sh"]\nCOPY run.sh /run.sh\n', "run.sh", None),
]


@pytest.mark.parametrize(("dockerfile", "source", "changed"), FOLLOWED)
def test_finds_the_script_through_copy(dockerfile: str, source: str, changed: str | None) -> None:
    result = changes(dockerfile, {source: SCRIPT, "old.sh": SCRIPT, "a.sh": SCRIPT})
    assert result == ({changed: b"#!/bin/sh\nset -e\nexec node server.js\n"} if changed else {})


IGNORES = [
    ({".dockerignore": b"# nothing\n*.md\n"}, True),
    ({".dockerignore": b"*.sh\n"}, False),
    ({".dockerignore": b"**/run.sh\n"}, False),
    ({".dockerignore": b"*\n!run.sh\n"}, False),
    ({"Dockerfile.dockerignore": b"run.sh\n", ".dockerignore": b"*.md\n"}, False),
]


@pytest.mark.parametrize(("ignore", "fixed"), IGNORES)
def test_a_file_a_dockerignore_may_exclude_is_not_followed(ignore: dict[str, bytes], fixed: bool) -> None:
    dockerfile = 'FROM node:20\nCOPY . /app/\nENTRYPOINT ["/app/run.sh"]\n'
    assert bool(changes(dockerfile, {"run.sh": SCRIPT, **ignore})) is fixed


def test_entrypoint_and_cmd_scripts_each_once() -> None:
    dockerfile = 'FROM node:20\nCOPY entry.sh start.sh /\nENTRYPOINT ["/entry.sh"]\nCMD ["/start.sh"]\n'
    files = {"entry.sh": b'#!/bin/sh\n"$@"\n', "start.sh": b"#!/bin/sh\nnode app.js\n"}
    assert changes(dockerfile, files) == {"entry.sh": b'#!/bin/sh\nexec "$@"\n', "start.sh": SCRIPT_EXEC}
    report = run(wrapper_exec, dockerfile, Context(files=Files(files)))
    assert [(f.line, f.code) for f in report.fixes] == [(3, "DM107"), (4, "DM107")]
    same = 'FROM node:20\nCOPY entry.sh /\nENTRYPOINT ["/entry.sh"]\nCMD ["/entry.sh"]\n'
    assert len(run(wrapper_exec, same, Context(files=Files(files))).fixes) == 1


def test_the_example_worker() -> None:
    folder = Path(__file__).resolve().parents[2] / "examples" / "worker"
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = changes((folder / "Dockerfile").read_text(), files)
    assert result == {"docker-entrypoint.sh": files["docker-entrypoint.sh"].replace(b'\n"$@"', b'\nexec "$@"')}


@pytest.mark.corpus
def test_corpus_no_crash(corpus_files: list[Path]) -> None:
    script = Files({})
    for path in corpus_files:
        report = run_fixers(path.name, path.read_bytes(), Context(files=script), [wrapper_exec], {})
        assert report.after == report.before and not report.findings, path.name
