FROM alpine:3.20
LABEL org.opencontainers.image.authors="dev@example.com"
MAINTAINER ops@example.com
RUN true
