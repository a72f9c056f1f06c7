FROM ubuntu:22.04
# keep CRLF
RUN apt-get update && \
    apt-get install -y nginx
COPY site /var/www/html
EXPOSE 80
CMD nginx -g 'daemon off;'
