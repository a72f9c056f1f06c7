from __future__ import annotations

from pathlib import Path

import pytest

from fixers.rules import sshd
from tests.fixers.helpers import corpus_report, run

CASES = [
    # installs, with every package manager, in any stage
    ("FROM debian\nRUN apt-get update && apt-get install -y openssh-server\n", [(2, "DM202")]),
    ("FROM centos\nRUN yum -y install openssh-server; yum clean all\n", [(2, "DM202")]),
    ("FROM fedora\nRUN dnf install -y openssh-server\n", [(2, "DM202")]),
    ("FROM alpine\nRUN apk add --no-cache openssh-server\n", [(2, "DM202")]),
    ("FROM opensuse/leap\nRUN zypper -n install openssh-server\n", [(2, "DM202")]),
    ("FROM alpine\nRUN apk add dropbear\n", [(2, "DM202")]),
    ("FROM debian\nRUN apt-get install -y openssh-server=1:9.2p1-2\n", [(2, "DM202")]),
    ("FROM debian\nrun apt-get install -y \\\n    # for CI\n    openssh-server \\\n    git\n", [(2, "DM202")]),
    ("# escape=`\nFROM debian\nRUN apt-get install -y `\n    openssh-server\n", [(3, "DM202")]),
    ("FROM debian\r\nRUN apt-get install -y openssh-server\r\n", [(2, "DM202")]),
    ("FROM debian\nRUN <<EOF\napt-get update\napt-get install -y openssh-server\nEOF\n", [(2, "DM202")]),
    ("FROM debian AS ci\nRUN apt-get install -y openssh-server\nFROM debian\nRUN true\n", [(2, "DM202")]),
    # the daemon started or enabled
    ('FROM debian\nCMD ["/usr/sbin/sshd", "-D"]\n', [(2, "DM202")]),
    ("FROM debian\nENTRYPOINT /usr/sbin/sshd -D\n", [(2, "DM202")]),
    ("FROM debian\nCMD service ssh start && tail -f /dev/null\n", [(2, "DM202")]),
    ('FROM debian\nCMD ["sh", "-c", "/etc/init.d/ssh start; exec app"]\n', [(2, "DM202")]),
    ("FROM centos\nRUN systemctl enable sshd\n", [(2, "DM202")]),
    ("FROM alpine\nRUN rc-update add sshd default\n", [(2, "DM202")]),
    ("FROM debian\nEXPOSE 80 22\n", [(2, "DM202")]),
    ("FROM debian\nEXPOSE 22/tcp\n", [(2, "DM202")]),
    (
        'FROM debian\nRUN apt-get install -y openssh-server\nEXPOSE 22\nCMD ["/usr/sbin/sshd", "-D"]\n',
        [(2, "DM202"), (3, "DM202"), (4, "DM202")],
    ),
    # clients, config files, disabling, other ports: nothing
    ("FROM debian\nRUN apt-get install -y openssh-client git\n", []),
    ("FROM alpine\nRUN apk add --no-cache git openssh\n", []),
    ("FROM centos\nRUN yum install -y openssh openssh-clients\n", []),
    ("FROM debian\nRUN mkdir /var/run/sshd && sed -i 's/x/y/' /etc/ssh/sshd_config\n", []),
    ("FROM debian\nRUN systemctl disable sshd && update-rc.d ssh remove\n", []),
    ("FROM debian\nRUN apt-get remove -y openssh-server\n", []),
    ("FROM debian\nRUN cat <<EOF > /etc/motd\nsshd is not here\nEOF\n", []),
    ("FROM debian\nRUN ssh-keyscan github.com >> /etc/ssh/ssh_known_hosts\n", []),
    ("FROM debian\nEXPOSE 2222 8022/tcp\n", []),
    ("FROM debian\n# dockmend ignore=DM202\nEXPOSE 22\n", []),
    ("# dockmend ignore-file=DM202\nFROM debian\nRUN apt-get install -y openssh-server\n", []),
    ('FROM debian\nCMD ["echo", "sshd"]\n', []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text: str, expected: list[tuple[int, str]]) -> None:
    report = run(sshd, text)
    assert report.error is None
    assert report.after == report.before
    assert [(f.line, f.code) for f in report.findings] == expected


def test_messages() -> None:
    text = 'FROM debian\nRUN apt-get install -y openssh-server\nEXPOSE 22\nCMD ["/usr/sbin/sshd", "-D"]\n'
    assert [f.message for f in run(sshd, text).findings] == [
        "RUN installs an SSH server",
        "EXPOSE 22 publishes the SSH port",
        "CMD starts the SSH daemon",
    ]


# Files of the corpus that showed a false positive or prove a true one.
REGRESSIONS = [
    ("argoproj__argo-cd__Dockerfile", [(14, "DM202")]),  # openssh-server in the CI builder stage
    ("moby__buildkit__Dockerfile", []),  # apk add openssh: for the client
    ("docker__buildx__Dockerfile", []),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "expected"), REGRESSIONS)
def test_corpus_regressions(corpus_files: list[Path], name: str, expected: list[tuple[int, str]]) -> None:
    report = corpus_report(sshd, corpus_files, name)
    assert [(f.line, f.code) for f in report.findings] == expected
