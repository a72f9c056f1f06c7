"""DM104 consolidate-cleanup: apt lists left in a layer, or removed in a later RUN."""

from __future__ import annotations

from tests.equivalence.cases import Case

CASES = [
    Case(
        "one-line-install",
        "DM104",
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates\n"
        'CMD ["curl", "--version"]\n',
    ),
    Case(
        "cleanup-in-next-run",
        "DM104",
        "FROM debian:bookworm-slim\n"
        "ENV DEBIAN_FRONTEND=noninteractive\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends tzdata\n"
        "RUN rm -rf /var/lib/apt/lists/*\n",
    ),
    Case(
        "set-eux-official-style",
        "DM104",
        "FROM debian:bookworm-slim\n"
        "RUN set -eux; \\\n"
        "\tapt-get update; \\\n"
        "\tapt-get install -y --no-install-recommends \\\n"
        "\t\tnetbase \\\n"
        "\t\tprocps \\\n"
        "\t;\n"
        'CMD ["ps"]\n',
    ),
    Case(
        "apt-get-clean-only",
        "DM104",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends less && apt-get clean\n",
    ),
    Case(
        "comment-in-continuation-and-useradd",
        "DM104",
        "FROM debian:bookworm\n"
        "RUN apt-get update \\\n"
        "    # jq parses the health endpoint\n"
        "    && apt-get install -y --no-install-recommends jq \\\n"
        "    && useradd --system --uid 1001 app\n"
        "USER app\n",
    ),
    Case(
        "two-stages",
        "DM104",
        "FROM debian:bookworm AS build\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends bzip2\n"
        "RUN echo hello | bzip2 > /hello.bz2\n"
        "\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from=build /hello.bz2 /srv/\n"
        "RUN apt-get update \\\n"
        " && apt-get install -y --no-install-recommends bzip2\n"
        'CMD ["bzcat", "/srv/hello.bz2"]\n',
    ),
    Case(
        "cleanup-run-with-clean",
        "DM104",
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get -y install --no-install-recommends file\n"
        "RUN apt-get clean && rm -rf /var/lib/apt/lists/*\n"
        'ENTRYPOINT ["file"]\n',
    ),
    Case(
        "install-allowed-to-fail",
        "DM104",
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq || true\n"
        'CMD ["jq", "--version"]\n',
    ),
    Case(
        "cleanup-run-also-clears-tmp",
        "DM104",
        "FROM debian:bookworm\n"
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends xz-utils \\\n"
        "    && echo built > /tmp/build.log\n"
        "RUN rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*\n",
    ),
]
