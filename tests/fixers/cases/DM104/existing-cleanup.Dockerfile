FROM python:3.11
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
RUN pip install psycopg2 && rm -rf /root/.cache/pip
RUN pip install uvicorn && pip cache purge
CMD ["uvicorn", "main:app"]
