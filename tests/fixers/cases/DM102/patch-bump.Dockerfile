FROM python:3.11.2-slim-bookworm
RUN pip install --no-cache-dir flask
