"""DM105 add-labels: metadata labels from the repository and the configuration."""

from __future__ import annotations

from fixers.base import LabelPolicy, RepoInfo
from tests.equivalence.cases import Case, File

_OPENSHIFT = LabelPolicy(profile="openshift", single_image=True)

# Values the builder must read back unchanged: quotes, `$` (no expansion), backslashes.
_TRICKY = 'Say "hi": costs $5 for the $ 1.0\'s shop'
_WINDOWS = "Installs to C:\\tools\\$5 bin, 50% off"

CASES = [
    Case(
        "busybox-httpd-expose",
        "DM105",
        'FROM busybox:1.35\nCOPY site/ /www/\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
        {"site/index.html": File("<h1>shop</h1>\n")},
        label_policy=_OPENSHIFT,
        labels_after={"io.openshift.expose-services": "8080:http", "io.k8s.description": "The shop's HTTP API"},
    ),
    Case(
        "apt-install-with-maintainer",
        "DM105",
        "FROM debian:bookworm-slim\n"
        "MAINTAINER ops@example.com\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "EXPOSE 443\n",
    ),
    Case(
        "debian-build-busybox-final",
        "DM105",
        "FROM debian:bookworm AS build\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends bzip2 && rm -rf /var/lib/apt/lists/*\n"
        "RUN echo hello | bzip2 > /hello.bz2\n"
        "\n"
        "FROM busybox:1.35\n"
        "COPY --from=build /hello.bz2 /\n"
        'CMD ["bunzip2", "-c", "/hello.bz2"]\n',
    ),
    Case(
        "configured-labels",
        "DM105",
        'FROM debian:12-slim\nUSER 65534\nCMD ["sleep", "infinity"]\n',
        labels={"org.opencontainers.image.vendor": "Example Ltd", "io.openshift.tags": "shop,api"},
        labels_after={"org.opencontainers.image.vendor": "Example Ltd", "io.openshift.tags": "shop,api"},
    ),
    Case(
        "arg-base-and-some-labels",
        "DM105",
        "ARG BASE=debian:bookworm\n"
        "FROM ${BASE}\n"
        "LABEL org.opencontainers.image.title=shop-api \\\n"
        '      org.opencontainers.image.licenses="Apache-2.0"\n'
        "RUN apt-get update && apt-get install -y --no-install-recommends netbase && rm -rf /var/lib/apt/lists/*\n",
        repo=RepoInfo(name="shop-api", url="https://gitlab.example.com/shop/api", license="Apache-2.0"),
    ),
    Case(
        "healthcheck-and-volume",
        "DM105",
        "FROM busybox:1.35\n"
        "VOLUME /data\n"
        "EXPOSE 9000/udp 8080\n"
        'HEALTHCHECK --interval=30s CMD ["wget", "-q", "-O-", "http://127.0.0.1:8080/"]\n'
        'CMD ["httpd", "-f", "-p", "8080"]\n',
    ),
    Case(
        "values-with-quotes-and-dollars",
        "DM105",
        'FROM busybox:1.35\nENV USER=root\nCMD ["sh"]\n',
        repo=RepoInfo(name="shop", description=_TRICKY, url="https://github.com/example/shop"),
        label_policy=_OPENSHIFT,
        labels_after={"io.k8s.description": _TRICKY, "org.opencontainers.image.title": "shop"},
    ),
    Case(
        "values-in-a-backtick-escape-file",
        "DM105",
        "# escape=`\nFROM busybox:1.35\nWORKDIR /app\nRUN mkdir -p `\n    /app/data\n",
        repo=RepoInfo(name="shop", description=_WINDOWS, url="https://github.com/example/shop"),
        labels_after={"org.opencontainers.image.description": _WINDOWS},
    ),
]
