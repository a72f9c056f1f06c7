FROM python:3.12
RUN pip install flask
# gunicorn serves it in production
RUN pip install gunicorn
CMD ["gunicorn", "app:app"]
