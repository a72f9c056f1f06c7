FROM python:3.12-slim
RUN pip install --no-cache-dir numpy
RUN pip install --no-cache-dir pandas
RUN pip install --no-cache-dir scikit-learn
COPY . /app
CMD ["python", "/app/train.py"]
