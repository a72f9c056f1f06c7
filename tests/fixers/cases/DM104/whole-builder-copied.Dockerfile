FROM alpine:3.20 AS rootfs
RUN apk add busybox-extras

FROM scratch
COPY --from=rootfs / /
CMD ["/bin/sh"]
