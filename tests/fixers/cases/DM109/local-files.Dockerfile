FROM python:3.12-slim
WORKDIR /app
ADD requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
ADD --chown=app:app . /app
ADD docker/entrypoint.sh /usr/local/bin/
