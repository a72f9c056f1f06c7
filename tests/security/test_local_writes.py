"""``dockmend fix`` loses nothing: a file changed meanwhile, an unwritable folder, a full
disk, symlinks, owners and modes, temporary files of a killed run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import fix as fixcmd
from bot.cli.writing import NotWritten, write_report
from fixers.base import ImagePolicy
from fixers.engine import FileReport
from fixers.registry import FIXERS

FIXABLE = "FROM debian:12\nCMD run --flag\n"  # DM106 rewrites the CMD (offline, no registry)
FIXED = 'FROM debian:12\nCMD ["run", "--flag"]\n'
OPTIONS = fixcmd.Options(offline=True)
ROOT = Path(__file__).resolve().parents[2]


def process(path: Path) -> FileReport:
    return fixcmd.process(path, [FIXERS["DM106"]], {}, ImagePolicy(), OPTIONS)


def test_a_file_changed_while_dockmend_ran_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(FIXABLE)
    report = process(path)
    with path.open("a") as handle:
        handle.write("EXPOSE 80\n")  # someone's edit lands between the fix and the write
    with pytest.raises(NotWritten, match="changed while dockmend ran"):
        write_report(report)
    assert path.read_text() == FIXABLE + "EXPOSE 80\n"


def test_a_symlink_inside_the_checkout_stays_a_link_and_its_target_is_fixed(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "Dockerfile"
    target.write_text(FIXABLE)
    link = tmp_path / "Dockerfile"
    link.symlink_to("real/Dockerfile")
    write_report(process(link))
    assert link.is_symlink() and target.read_text() == FIXED


def test_a_symlink_out_of_the_checkout_is_left_alone(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "Dockerfile"
    outside.parent.mkdir()
    outside.write_text(FIXABLE)
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "Dockerfile").symlink_to(outside)
    with pytest.raises(NotWritten, match="outside the checkout"):
        write_report(process(checkout / "Dockerfile"))
    assert outside.read_text() == FIXABLE


def test_mode_and_owner_are_kept_and_stale_temporary_files_removed(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(FIXABLE)
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 4321)
    stale = tmp_path / ".Dockerfile.abc123.dockmend"  # left by a run killed mid-write
    stale.write_text("half")
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    os.fsync = fsync  # type: ignore[assignment]
    try:
        write_report(process(path))
    finally:
        os.fsync = real_fsync  # type: ignore[assignment]
    info = path.stat()
    assert path.read_text() == FIXED and info.st_mode & 0o7777 == 0o640
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 4321)
    assert not stale.exists() and synced  # flushed to disk before the rename
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def _cli(args: list[str], *, prefix: list[str] = (), preexec: str = "") -> subprocess.CompletedProcess[str]:  # type: ignore[assignment]
    code = f"{preexec}\nimport sys\nfrom bot.cli import run\nsys.argv = ['dockmend', *{args!r}]\nrun()\n"
    return subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)


def test_a_full_disk_costs_one_file_and_the_run_goes_on(tmp_path: Path) -> None:
    big, small = tmp_path / "big" / "Dockerfile", tmp_path / "small" / "Dockerfile"
    big.parent.mkdir()
    small.parent.mkdir()
    big.write_text("# " + "x" * 600 + "\n" + FIXABLE)
    small.write_text(FIXABLE)
    # a file-size limit makes the big file's write fail (EFBIG) as a full disk would (ENOSPC)
    limit = "import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    limit += "resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))"
    done = _cli(["fix", "--offline", "--select", "DM106", str(big), str(small)], preexec=limit)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot write" in done.stdout + done.stderr
    assert big.read_text().endswith(FIXABLE) and small.read_text() == FIXED
    assert sorted(p.name for p in big.parent.iterdir()) == ["Dockerfile"]  # no temporary file left


def test_a_read_only_folder_costs_one_file_and_the_run_goes_on(tmp_path: Path) -> None:
    locked, open_ = tmp_path / "locked" / "Dockerfile", tmp_path / "open" / "Dockerfile"
    for path in (locked, open_):
        path.parent.mkdir()
        path.write_text(FIXABLE)
    locked.parent.chmod(0o555)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: drop the capabilities that let it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("needs setpriv (util-linux) to run without root's file capabilities")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    try:
        done = _cli(["fix", "--offline", "--select", "DM106", str(locked), str(open_)], prefix=prefix)
    finally:
        locked.parent.chmod(0o755)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Permission denied" in done.stdout + done.stderr
    assert locked.read_text() == FIXABLE and open_.read_text() == FIXED
