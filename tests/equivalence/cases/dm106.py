"""DM106 exec-form: shell-form CMD/ENTRYPOINT that need no shell."""

from __future__ import annotations

from tests.equivalence.cases import Case, File

CASES = [
    Case(
        "busybox-httpd",
        "DM106",
        "FROM busybox:1.35\nCOPY site/ /www/\nCMD httpd -f -p 8080 -h /www\n",
        {"site/index.html": File("<h1>shop</h1>\n")},
    ),
    Case("exec-prefix", "DM106", "FROM busybox:1.35\nCMD exec sleep 3600\n"),
    Case(
        "entrypoint-without-cmd",
        "DM106",
        "FROM busybox:1.35\nWORKDIR /srv\nENTRYPOINT /bin/httpd -f -v -p 8080\n",
    ),
    Case(
        "quoted-date-format",
        "DM106",
        "FROM debian:bookworm-slim\nCMD date -u '+%Y-%m-%d %H:%M' \"--date=@0\"\n",
    ),
    Case(
        "bash-shell",
        "DM106",
        'FROM debian:bookworm\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD sleep infinity\n',
    ),
    Case(
        "tini-entrypoint",
        "DM106",
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*\n"
        'ENTRYPOINT ["/usr/bin/tini", "--"]\n'
        "CMD sleep infinity\n",
    ),
    Case(
        "lowercase-with-user",
        "DM106",
        "from busybox:1.35\nuser 65534:65534\nworkdir /tmp\ncmd  tail -f /dev/null\n",
    ),
]
