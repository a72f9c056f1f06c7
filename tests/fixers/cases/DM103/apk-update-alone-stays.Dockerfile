FROM alpine:3.20
COPY . /app
RUN apk update
RUN apk add curl
CMD ["/app/run.sh"]
