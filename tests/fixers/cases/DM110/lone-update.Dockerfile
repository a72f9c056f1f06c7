FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update
RUN apt-get install -y --no-install-recommends \
        curl \
        ca-certificates
CMD ["curl", "--version"]
