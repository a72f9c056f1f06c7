"""DM110 apt-update-with-install: a lone `RUN apt-get update` folded into its install."""

from __future__ import annotations

from tests.equivalence.cases import Case, File

APP = {"app/config.yml": File("port: 8080\n")}

CASES = [
    Case(
        "lone-update",
        "DM110",
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update\n"
        "RUN apt-get install -y --no-install-recommends jq\n"
        'CMD ["jq", "--version"]\n',
    ),
    Case(
        "quiet-update-multi-line-install",
        "DM110",
        "FROM debian:bookworm\n"
        "ENV DEBIAN_FRONTEND=noninteractive\n"
        "RUN apt-get -qq update\n"
        "RUN apt-get install -y --no-install-recommends \\\n"
        "        file \\\n"
        "        less\n"
        'ENTRYPOINT ["file"]\n',
    ),
    Case(
        "app-copy-between",
        "DM110",
        "FROM debian:12\n"
        "RUN apt-get update -y\n"
        "WORKDIR /srv/app\n"
        "COPY app/ /srv/app/\n"
        "ENV PORT=8080\n"
        "RUN apt-get install -y --no-install-recommends bzip2\n"
        'CMD ["cat", "config.yml"]\n',
        APP,
    ),
    Case(
        "second-install-reads-the-lists",
        "DM110",
        "FROM debian:12-slim\n"
        "RUN apt-get update\n"
        "RUN apt-get install -y --no-install-recommends jq\n"
        "RUN apt-get install -y --no-install-recommends bzip2\n",
    ),
    Case(
        "install-then-more",
        "DM110",
        "FROM debian:bookworm\n"
        "RUN apt-get update\n"
        "LABEL team=payments\n"
        "RUN apt-get install -y --no-install-recommends jq && jq --version > /jq-version\n"
        'CMD ["cat", "/jq-version"]\n',
    ),
    Case(
        "builder-stage-folded-not-cleaned",
        "DM110",
        "FROM debian:bookworm AS build\n"
        "RUN apt-get update\n"
        "RUN apt-get install -y --no-install-recommends bzip2\n"
        "RUN echo hello | bzip2 > /hello.bz2\n"
        "\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from=build /hello.bz2 /srv/\n",
    ),
]
