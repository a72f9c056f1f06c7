FROM alpine:3.18
RUN apk update && apk add bash && rm -rf /var/cache/apk/*
CMD ["bash"]
