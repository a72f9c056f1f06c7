FROM python:2.7.8
ENV XDG_CACHE_HOME=/cache
RUN pip install flask
CMD ["python", "-m", "flask", "run"]
