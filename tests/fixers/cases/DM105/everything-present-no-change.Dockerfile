FROM alpine:3.20
LABEL org.opencontainers.image.source="https://github.com/acme/tools" \
      org.opencontainers.image.licenses="MIT"
RUN apk add --no-cache jq
