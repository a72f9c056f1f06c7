FROM python:3.12-slim
WORKDIR /app
COPY . .
EXPOSE 8000
CMD ["gunicorn", "app:app"]
