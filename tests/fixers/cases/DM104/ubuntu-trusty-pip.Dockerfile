# pip 1.5 on Ubuntu 14.04 rejects --no-cache-dir: the cache folder is removed instead
FROM ubuntu:14.04

RUN apt-get update \
    && apt-get install -y --no-install-recommends python-pip \
    && pip install flask==0.12

COPY app.py /srv/app.py
CMD ["python", "/srv/app.py"]
