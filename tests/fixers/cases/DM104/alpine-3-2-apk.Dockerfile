# apk-tools 2.4 (Alpine 3.2) has no --no-cache: the index is removed instead
FROM alpine:3.2
RUN apk update && apk add curl ca-certificates
ENTRYPOINT ["curl"]
