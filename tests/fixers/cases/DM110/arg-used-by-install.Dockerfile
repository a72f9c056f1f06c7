FROM debian:12
RUN apt-get update
ARG EXTRA_PACKAGES=""
RUN apt-get install -y curl ${EXTRA_PACKAGES}
