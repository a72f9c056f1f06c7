"""DM104 consolidate-cleanup: apt lists left in a layer, or removed in a later RUN."""

from __future__ import annotations

from tests.equivalence.cases import Case, script

# Old bases. No real Alpine 3.2 (apk-tools 2.4) or pip 1.5 is served here, so each case
# builds FROM a served base whose tag DM104 judges old or unknown (busybox: unknown, so
# Alpine 3.2's treatment; `debian:jessie`: the bookworm base served under that tag) and
# puts in a stand-in `apk`/`pip` that, like the old tools, rejects `--no-cache` /
# `--no-cache-dir` and fills the cache folder the real one fills. What is exercised:
# DM104 picks the form every version accepts (the folder's removal, appended), the
# rewritten RUN still builds, and the image differs only by the removed cache. Not
# exercised: the real old apk and pip themselves.
_OLD_APK = script(
    "#!/bin/sh\n"
    'for a in "$@"; do [ "$a" = --no-cache ] && { echo "apk: unrecognized option: no-cache" >&2; exit 1; }; done\n'
    "mkdir -p /var/cache/apk && echo index > /var/cache/apk/APKINDEX.0badc0de.tar.gz\n"
)
_OLD_PIP = script(
    "#!/bin/sh\n"
    'for a in "$@"; do [ "$a" = --no-cache-dir ] && { echo "no such option: --no-cache-dir" >&2; exit 2; }; done\n'
    'mkdir -p "$HOME/.cache/pip/http" && echo wheel > "$HOME/.cache/pip/http/0badc0de"\n'
    'mkdir -p "$HOME/.local/site" && echo installed > "$HOME/.local/site/$(echo "$*" | tr " " _)"\n'
)

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
    Case(
        "old-apk-stand-in",
        "DM104",
        "FROM busybox:1.36\nCOPY apk /sbin/apk\nRUN apk update && apk add curl\n",
        {"apk": _OLD_APK},
        note="busybox stands in for Alpine 3.2: an unknown base gets `rm -rf /var/cache/apk/*`",
    ),
    Case(
        "old-pip-stand-in-jessie",
        "DM104",
        "FROM debian:jessie\nCOPY pip /usr/local/bin/pip\nRUN pip install flask\n",
        {"pip": _OLD_PIP},
        note="pip 1.5 on jessie rejects --no-cache-dir: `rm -rf ~/.cache/pip` instead",
    ),
    Case(
        "old-pip-stand-in-non-root",
        "DM104",
        "FROM debian:jessie\n"
        "COPY pip /usr/local/bin/pip\n"
        "RUN useradd --create-home app\n"
        "USER app\n"
        "RUN pip install --user requests\n",
        {"pip": _OLD_PIP},
        note="`~` is the user's home: the user's own cache is removed, nothing of root's",
    ),
]
