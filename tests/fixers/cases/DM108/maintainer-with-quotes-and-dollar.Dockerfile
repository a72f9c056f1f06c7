FROM alpine:3.20
MAINTAINER "Ops" team $ <ops@example.com>
RUN true
