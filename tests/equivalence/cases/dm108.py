"""DM108 maintainer-label: MAINTAINER becomes the org.opencontainers.image.authors label."""

from __future__ import annotations

from tests.equivalence.cases import Case

_AUTHORS = "org.opencontainers.image.authors"

CASES = [
    Case(
        "busybox-maintainer",
        "DM108",
        'FROM busybox:1.35\nMAINTAINER Jane Doe <jane@example.com>\nCMD ["sh"]\n',
        labels_after={_AUTHORS: "Jane Doe <jane@example.com>"},
    ),
    Case(
        "quotes-and-dollars-read-back",
        "DM108",
        'FROM busybox:1.35\nENV USER=root\nMAINTAINER "Ops" team $USER ${HOME} <ops@example.com>\nCMD ["sh"]\n',
        labels_after={_AUTHORS: '"Ops" team $USER ${HOME} <ops@example.com>'},
    ),
    Case(
        "beside-other-labels",
        "DM108",
        "FROM debian:bookworm-slim\n"
        'LABEL org.opencontainers.image.source="https://github.com/example/shop-api"\n'
        "MAINTAINER ops@example.com\n"
        "RUN echo ok > /ok\n",
        labels_after={_AUTHORS: "ops@example.com"},
    ),
    Case(
        "equal-label-already-set",
        "DM108",
        'FROM busybox:1.35\nLABEL org.opencontainers.image.authors="ops@example.com"\nMAINTAINER ops@example.com\n'
        'CMD ["sh"]\n',
    ),
    Case(
        "maintainer-in-every-stage",
        "DM108",
        "FROM busybox:1.35 AS build\n"
        "MAINTAINER build@example.com\n"
        "RUN echo built > /built\n"
        "FROM busybox:1.35\n"
        "maintainer  Ops  Team  \n"
        "COPY --from=build /built /\n",
        labels_after={_AUTHORS: "Ops  Team"},
    ),
    Case(
        "backtick-escape-file",
        "DM108",
        "# escape=`\nFROM busybox:1.35\nMAINTAINER C:\\ops\\$team\nRUN mkdir -p `\n    /app/data\n",
        labels_after={_AUTHORS: "C:\\ops\\$team"},
    ),
]
