FROM docker:%%VERSION%%-dind
RUN apk add --no-cache bash
