"""DM109 add-to-copy: ADD of local files and folders becomes COPY; the same tree."""

from __future__ import annotations

from tests.equivalence.cases import Case, File, script

_SITE = {"site/index.html": File("<h1>shop</h1>\n"), "site/css/app.css": File("h1 { color: red }\n")}

CASES = [
    Case(
        "file-into-folder",
        "DM109",
        'FROM busybox:1.35\nADD httpd.conf /etc/\nCMD ["httpd", "-f", "-c", "/etc/httpd.conf"]\n',
        {"httpd.conf": File("H:/www\n")},
    ),
    Case(
        "folder-contents",
        "DM109",
        "FROM busybox:1.35\nADD site/ /www/\nADD . /src\n",
        {**_SITE, ".dockerignore": File("Dockerfile\n")},  # the Dockerfile is what the rewrite changes
    ),
    Case(
        "chown-chmod-workdir",
        "DM109",
        "FROM busybox:1.35\nWORKDIR /app\nADD --chown=65534:65534 --chmod=750 run.sh config.json ./\nUSER 65534\n",
        {"run.sh": script("#!/bin/sh\necho run\n"), "config.json": File('{"port": 8080}\n')},
    ),
    Case(
        "glob-of-scripts",
        "DM109",
        "FROM busybox:1.35\nADD bin/*.sh /usr/local/bin/\n",
        {"bin/a.sh": script("#!/bin/sh\necho a\n"), "bin/b.sh": script("#!/bin/sh\necho b\n")},
    ),
    Case(
        "debian-file-renamed",
        "DM109",
        "FROM debian:bookworm-slim\nADD motd.txt /etc/motd\nRUN cat /etc/motd > /seen\n",
        {"motd.txt": File("welcome\n")},
    ),
    Case(
        "read-from-context-not-an-archive",
        "DM109",
        "FROM busybox:1.35\nADD tool settings /opt/tool/\n",  # buildah takes no --link on ADD
        {"tool": script("#!/bin/sh\necho tool\n"), "settings": File("verbose = true\n")},
    ),
]
