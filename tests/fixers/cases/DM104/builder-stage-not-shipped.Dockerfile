FROM golang:1.22 AS build
RUN apt-get update && apt-get install -y --no-install-recommends protobuf-compiler
WORKDIR /src
COPY . .
RUN go build -o /out/app ./cmd/app

FROM debian:bookworm-slim
COPY --from=build /out/app /usr/local/bin/app
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
ENTRYPOINT ["app"]
