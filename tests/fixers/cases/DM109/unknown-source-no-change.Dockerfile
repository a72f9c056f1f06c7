FROM alpine:3.20
ADD vendor /opt/vendor
