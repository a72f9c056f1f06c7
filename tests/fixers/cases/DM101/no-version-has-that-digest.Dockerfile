FROM acme/tool
RUN tool --check
