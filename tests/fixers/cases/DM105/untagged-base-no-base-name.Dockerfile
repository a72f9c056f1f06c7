FROM cassandra
COPY cassandra.yaml /etc/cassandra/
