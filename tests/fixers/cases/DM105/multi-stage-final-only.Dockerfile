FROM golang:1.22 AS build
LABEL org.opencontainers.image.source=https://example.com/build-only
RUN go build -o /app

FROM gcr.io/distroless/static:nonroot
COPY --from=build /app /app
ENTRYPOINT ["/app"]
