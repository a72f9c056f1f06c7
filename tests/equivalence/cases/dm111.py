"""DM111 merge-install-runs: consecutive install RUNs of one manager merged into one."""

from __future__ import annotations

from tests.equivalence.cases import Case

CASES = [
    Case(
        "apt-one-package-runs",
        "DM111",
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq\n"
        "RUN apt-get install -y --no-install-recommends bzip2\n"
        "RUN apt-get install -y --no-install-recommends file\n"
        'CMD ["jq", "--version"]\n',
    ),
    Case(
        "apt-two-updates-two-cleanups",
        "DM111",
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends less && rm -rf /var/lib/apt/lists/*\n",
    ),
    Case(
        "blank-lines-and-multi-line-install",
        "DM111",
        "FROM debian:12\n"
        "ENV DEBIAN_FRONTEND=noninteractive\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends bzip2\n"
        "\n"
        "RUN apt-get install -y --no-install-recommends \\\n"
        "    file \\\n"
        "    less\n"
        'ENTRYPOINT ["file"]\n',
    ),
    Case(
        "apt-and-apt-get",
        "DM111",
        "FROM debian:12-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq\n"
        "RUN apt install -y --no-install-recommends bzip2\n"
        "USER nobody\n",
    ),
    Case(
        "builder-stage-chain",
        "DM111",
        "FROM debian:bookworm AS build\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends bzip2\n"
        "RUN apt-get install -y --no-install-recommends xz-utils\n"
        "RUN echo hello | bzip2 | xz > /hello.bz2.xz\n"
        "\n"
        "FROM debian:bookworm\n"
        "COPY --from=build /hello.bz2.xz /srv/\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq\n"
        "RUN apt-get install -y --no-install-recommends less && rm -rf /var/lib/apt/lists/*\n",
    ),
]
