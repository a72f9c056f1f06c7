from __future__ import annotations

from pathlib import Path

import pytest

from fixers.rules import missing_expose
from tests.fixers.helpers import corpus_report, run

CASES = [
    # well-known servers installed or started by this file
    ('FROM debian\nRUN apt-get install -y nginx\nCMD ["nginx", "-g", "daemon off;"]\n', [(3, "DM205")]),
    ("FROM debian\nRUN apt-get install -y nginx\n", [(2, "DM205")]),
    ('FROM centos:7\nRUN yum -y install httpd\nCMD ["/start.sh"]\n', [(2, "DM205")]),
    ("FROM alpine\nRUN apk add --no-cache redis\nCMD redis-server --protected-mode no\n", [(3, "DM205")]),
    ("FROM debian\nCMD apachectl -D FOREGROUND\n", [(2, "DM205")]),
    ('FROM debian\nENTRYPOINT ["dumb-init", "--"]\nCMD ["memcached", "-u", "nobody"]\n', [(3, "DM205")]),
    ("FROM debian\r\nRUN apt-get install -y nginx\r\n", [(2, "DM205")]),
    ("FROM debian\nRUN <<EOF\napt-get install -y nginx\nEOF\n", [(2, "DM205")]),
    ("# escape=`\nFROM debian\nRUN apt-get install -y `\n    nginx\n", [(3, "DM205")]),
    ('FROM debian AS web\nRUN apt-get install -y nginx\nfrom web\ncmd ["nginx"]\n', [(4, "DM205")]),
    # application servers, only with a port on their command line
    ('FROM python:3.12\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]\n', [(2, "DM205")]),
    ("FROM python:3.12\nCMD gunicorn -b :5000 app:app\n", [(2, "DM205")]),
    ('FROM python:3.12\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]\n', [(2, "DM205")]),
    ("FROM python:3.12\nCMD python -m uvicorn main:app --port=8080\n", [(2, "DM205")]),
    ("FROM python:3.12\nCMD python manage.py runserver 0.0.0.0:8000\n", [(2, "DM205")]),
    ('FROM python:3.12\nCMD ["python3", "-m", "http.server", "8000"]\n', [(2, "DM205")]),
    ('FROM eclipse-temurin:21\nENTRYPOINT ["java", "-Dserver.port=8080", "-jar", "/app.jar"]\n', [(2, "DM205")]),
    ("FROM ruby:3.3\nCMD bundle exec rails server -b 0.0.0.0 -p 3000\n", [(2, "DM205")]),
    ("FROM ruby:3.3\nCMD bundle exec puma -b tcp://0.0.0.0:9292\n", [(2, "DM205")]),
    ("FROM php:8.3-cli\nCMD php -S 0.0.0.0:8000 -t public\n", [(2, "DM205")]),
    ('FROM python:3.12\nCMD ["gunicorn", "--bind", "0.0.0.0:$PORT", "app:app"]\n', []),
    ("FROM python:3.12\nCMD gunicorn --bind unix:/run/app.sock app:app\n", []),
    ("FROM python:3.12\nCMD uvicorn main:app\n", []),
    ('FROM eclipse-temurin:21\nENTRYPOINT ["java", "-jar", "/app.jar"]\n', []),
    ("FROM python:3.12\nCMD python manage.py migrate 8000\n", []),
    # any EXPOSE in the final stage chain is enough
    ('FROM debian\nRUN apt-get install -y nginx\nEXPOSE 8080\nCMD ["nginx"]\n', []),
    ('FROM debian AS base\nEXPOSE 80\nFROM base\nRUN apt-get install -y nginx\nCMD ["nginx"]\n', []),
    ('FROM python:3.12\nexpose 8000\nCMD ["gunicorn", "-b", ":8000", "app:app"]\n', []),
    # official images already EXPOSE; build stages and clients do not count
    ('FROM nginx:1.27\nCOPY site /usr/share/nginx/html\nCMD ["nginx", "-g", "daemon off;"]\n', []),
    ('FROM php:8.3-apache\nCMD ["apache2-foreground"]\n', []),
    ("FROM nginxinc/nginx-unprivileged:1.27\nRUN apt-get install -y nginx-extras\n", []),
    ("FROM debian AS test\nRUN apt-get install -y nginx\nFROM debian\nCOPY --from=test /x /x\n", []),
    ("FROM debian\nRUN apt-get install -y redis-tools postgresql-client\n", []),
    ('FROM debian\nRUN nginx -t\nCMD ["app"]\n', []),
    ('ARG BASE\nFROM ${BASE}\nCMD ["nginx"]\n', []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(missing_expose, text)
    assert report.error is None
    assert report.after == report.before
    assert [(f.line, f.code) for f in report.findings] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "FROM debian\nRUN apt-get install -y nginx\n",
            "nginx listens on port 80 but the final stage declares no EXPOSE",
        ),
        (
            'FROM python:3.12\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]\n',
            "gunicorn listens on port 8000 but the final stage declares no EXPOSE",
        ),
    ],
)
def test_messages(text: str, message: str) -> None:
    assert [f.message for f in run(missing_expose, text).findings] == [message]


# Files of the corpus that showed a false positive or prove a true one.
REGRESSIONS = [
    ("louislam__uptime-kuma__docker__debian-base.dockerfile", [(73, "DM205")]),  # installs mariadb-server
    ("dockersamples__example-voting-app__vote__Dockerfile", []),  # gunicorn -b 0.0.0.0:80, EXPOSE 80
    ("docker-library__php__7.3__stretch__apache__Dockerfile", []),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), REGRESSIONS)
def test_corpus_regressions(corpus_files: list[Path], name: str, expected: list[tuple[int, str]]) -> None:
    report = corpus_report(missing_expose, corpus_files, name)
    assert [(f.line, f.code) for f in report.findings] == expected
