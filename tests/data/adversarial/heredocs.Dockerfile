# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN <<EOF
apt-get update
apt-get install -y curl
EOF
COPY <<-"CONF" <<SCRIPT /etc/
	key = value
	CONF
#!/bin/sh
exec "$@"
SCRIPT
RUN <<EOF bash
set -e
pip install requests
EOF

RUN apt-get update && apt-get install -y git
CMD python3 -m http.server 8000
