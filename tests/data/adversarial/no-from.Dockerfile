# just a comment
RUN echo hello
