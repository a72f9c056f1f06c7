FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends curl
RUN apt-get install -y --no-install-recommends git

RUN apt-get install -y --no-install-recommends \
    openssh-client \
    rsync
CMD ["bash"]
