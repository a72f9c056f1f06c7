# syntax=docker/dockerfile:1.7
# check=skip=JSONArgsRecommended
# A comment after the directives
ARG DEBIAN=bookworm
FROM --platform=$BUILDPLATFORM debian:${DEBIAN}-slim AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN apt-get update \
    # tools for the build
    && apt-get install -y --no-install-recommends \
        gcc \

        libc6-dev
COPY . .
RUN make

FROM build AS test
RUN make test

from scratch
copy --from=build /src/out /app
entrypoint ["/app"]
