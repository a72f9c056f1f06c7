"""DM107 wrapper-exec: the entrypoint script's last command becomes `exec`."""

from __future__ import annotations

from tests.equivalence.cases import Case, script

_DOCKER_ENTRYPOINT = """\
#!/bin/sh
set -e

# first arg is `-f` or `--some-option`
if [ "${1#-}" != "$1" ]; then
\tset -- httpd "$@"
fi

"$@"
"""

CASES = [
    Case(
        "docker-entrypoint-on-path",
        "DM107",
        "FROM busybox:1.35\n"
        "COPY docker-entrypoint.sh /usr/local/bin/\n"
        'ENTRYPOINT ["docker-entrypoint.sh"]\n'
        'CMD ["httpd", "-f", "-p", "8080"]\n',
        {"docker-entrypoint.sh": script(_DOCKER_ENTRYPOINT)},
    ),
    Case(
        "start-script-runs-server",
        "DM107",
        'FROM busybox:1.35\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n',
        {
            "start.sh": script(
                "#!/bin/sh\nmkdir -p /tmp/www\necho ready > /tmp/www/index.html\nhttpd -f -p 8080 -h /tmp/www\n"
            )
        },
    ),
    Case(
        "debian-bash-script-with-if",
        "DM107",
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*\n"
        "COPY bin/ /usr/local/bin/\n"
        'ENTRYPOINT ["/usr/local/bin/run.sh"]\n',
        {
            "bin/run.sh": script(
                "#!/usr/bin/env bash\n"
                "set -euo pipefail\n"
                'if [[ -n "${DEBUG:-}" ]]; then\n'
                "    set -x\n"
                "fi\n"
                "    top -b -d 60\n"
            )
        },
    ),
    Case(
        "sh-runs-script-in-workdir",
        "DM107",
        'FROM busybox:1.35\nWORKDIR /app\nCOPY run.sh .\nENTRYPOINT ["sh", "run.sh"]\n',
        {"run.sh": script("#!/bin/sh\n# runs the worker\nexport MODE=worker\nhttpd -f -p 8080 # until stopped\n")},
    ),
    Case(
        "crlf-script",
        "DM107",
        'FROM busybox:1.35\nCOPY entry.sh /usr/bin/entry.sh\nENTRYPOINT ["entry.sh"]\nCMD ["sleep", "60"]\n',
        {"entry.sh": script('#!/bin/sh\r\nset -e\r\necho "starting $*"\r\n"$@"\r\n')},
    ),
    Case(
        "script-under-stage-user",
        "DM107",
        "FROM debian:bookworm\n"
        "RUN useradd --system --uid 1001 app\n"
        "COPY --chown=app:app docker-entrypoint.sh /home/app/entrypoint.sh\n"
        "USER app\n"
        'ENTRYPOINT ["/home/app/entrypoint.sh"]\n'
        'CMD ["sleep", "infinity"]\n',
        {"docker-entrypoint.sh": script(_DOCKER_ENTRYPOINT)},
    ),
]
