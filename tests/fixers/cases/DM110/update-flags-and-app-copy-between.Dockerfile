FROM ubuntu:22.04
RUN apt-get -qq update
WORKDIR /app
COPY . .
LABEL maintainer-team="payments"
RUN apt-get install -y python3 python3-pip
CMD ["python3", "main.py"]
