FROM python:3.12-slim
CMD gunicorn -b 0.0.0.0:$PORT app:app
