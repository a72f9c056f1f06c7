FROM alpine:3.20
ADD bin/tool config /opt/tool/
