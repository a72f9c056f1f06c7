FROM registry.access.redhat.com/ubi9/python-311
LABEL io.k8s.display-name="Reports"
EXPOSE 8080
CMD ["python", "app.py"]
