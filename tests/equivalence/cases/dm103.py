"""DM103 reorder-layers: installs and user creation placed after the COPY of the app."""

from __future__ import annotations

from tests.equivalence.cases import Case, File, script

APP = {"app/server.sh": script("#!/bin/sh\necho serving\n"), "app/config.yml": File("port: 8080\n")}

CASES = [
    Case(
        "apt-after-copy",
        "DM103",
        "FROM debian:bookworm-slim\n"
        "WORKDIR /srv/app\n"
        "COPY app/ /srv/app/\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n"
        'CMD ["./server.sh"]\n',
        APP,
    ),
    Case(
        "useradd-after-copy",
        "DM103",
        "FROM debian:bookworm\n"
        "COPY app/config.yml /opt/shop/config.yml\n"
        "COPY app/server.sh /app/server.sh\n"
        "RUN groupadd --system --gid 1001 app \\\n"
        "    && useradd --system --uid 1001 --gid app --no-create-home --home-dir /nonexistent app\n"
        "USER app\n"
        'CMD ["/app/server.sh"]\n',
        APP,
    ),
    Case(
        "apt-set-eux-after-two-copies",
        "DM103",
        "FROM debian:12-slim\n"
        "ENV DEBIAN_FRONTEND=noninteractive\n"
        "COPY app/config.yml /etc/shop/\n"
        "RUN echo configured\n"
        "COPY app/server.sh /srv/shop/bin/\n"
        "COPY app/config.yml /srv/shop/etc/\n"
        "# tools the entrypoint needs\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y --no-install-recommends \\\n"
        "\t\tnetbase \\\n"
        "\t\tprocps \\\n"
        "\t; \\\n"
        "\trm -rf /var/lib/apt/lists/*\n"
        'CMD ["/srv/shop/bin/server.sh"]\n',
        APP,
    ),
    Case(
        "mkdir-chmod-after-copy",
        "DM103",
        "FROM busybox:1.35\n"
        "COPY app/ /www/\n"
        "RUN mkdir -p /var/cache/www /data && chmod 0775 /data && chown 65534:65534 /data\n"
        'CMD ["httpd", "-f", "-h", "/www"]\n',
        APP,
    ),
    Case(
        "ln-after-add",
        "DM103",
        "FROM busybox:1.35\n"
        "WORKDIR /app\n"
        "ADD app/config.yml /app/config.yml\n"
        "RUN ln -s /app/../usr/bin/env /usr/local/bin/env2 || true\n"
        "RUN ln -sf /proc/self/fd/1 /var/log-stdout\n"
        'CMD ["cat", "config.yml"]\n',
        APP,
    ),
    Case(
        "lowercase-and-comment-block",
        "DM103",
        "from debian:bookworm-slim\n"
        "copy app/server.sh /srv/app/server.sh\n"
        "# the base tools\n"
        "# (kept small)\n"
        "run apt-get update \\\n"
        "    # less for debugging\n"
        "    && apt-get install -y --no-install-recommends less \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        'cmd ["/srv/app/server.sh"]\n',
        APP,
    ),
    Case(
        "adduser-system-after-copy",
        "DM103",
        "FROM debian:bookworm-slim\n"
        "COPY app/ /srv/app/\n"
        "RUN adduser --system --group --no-create-home shop\n"
        "USER shop\n"
        'CMD ["/srv/app/server.sh"]\n',
        APP,
    ),
]
