FROM debian:12
WORKDIR /app
COPY . .
RUN apt-get update && apt-get install -y --no-install-recommends curl
CMD ["./run.sh"]
