FROM debian:jessie AS base
RUN apt-get update && apt-get install -y python-pip

FROM base
RUN pip install requests
CMD ["python"]
