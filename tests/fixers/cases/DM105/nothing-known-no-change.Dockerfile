FROM python:3.12
EXPOSE 8000
CMD ["python", "-m", "http.server"]
