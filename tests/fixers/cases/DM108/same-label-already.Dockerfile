FROM alpine:3.20
LABEL org.opencontainers.image.authors="ops@example.com"
MAINTAINER ops@example.com
RUN true
