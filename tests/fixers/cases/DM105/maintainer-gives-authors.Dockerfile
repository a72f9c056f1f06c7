FROM debian:bookworm-slim
MAINTAINER Ops Team <ops@example.com>
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
