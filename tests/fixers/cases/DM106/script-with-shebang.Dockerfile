FROM debian:bookworm-slim
WORKDIR /app
COPY boot.sh /app/
CMD ./boot.sh
