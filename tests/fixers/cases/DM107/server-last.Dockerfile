FROM debian:bookworm-slim
COPY start.sh /start.sh
CMD ["/start.sh"]
