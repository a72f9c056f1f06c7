FROM alpine:3.20
LABEL maintainer="ops@example.com"
RUN true
