FROM debian:bookworm-slim
WORKDIR /app
COPY . /app/
CMD ./boot.sh
