FROM debian:12
# refresh the index once for the whole build
RUN apt-get update
RUN apt-get install -y curl
