FROM debian:12
RUN apt-get update
RUN curl -fsSL https://download.example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/example.gpg
RUN apt-get install -y example-tool
