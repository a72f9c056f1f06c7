FROM debian:12
RUN apt-get update
COPY nonfree.list /etc/apt/sources.list.d/nonfree.list
RUN apt-get install -y curl
