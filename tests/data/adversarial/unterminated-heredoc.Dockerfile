FROM alpine:3.20
RUN <<EOF
echo never closed
