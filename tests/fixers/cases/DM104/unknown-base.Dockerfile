FROM registry.example.com/platform/python-base:2024.1
RUN pip install gunicorn
CMD ["gunicorn", "app:app"]
