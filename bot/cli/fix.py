"""`dockmend fix`: find Dockerfiles, run the fixers, write or show the result."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.cli.writing import NotWritten, write_report
from bot.engine.selection import resolve_codes
from bot.errors import DockmendError
from bot.platforms.localrepo import LocalFiles, repo_info
from bot.registry.cache import default_path
from bot.registry.client import resolver_from_config
from bot.settings.config import Config
from fixers.base import Context, Fixer, ImageResolver, Risk
from fixers.diff import unified_diff
from fixers.document import DocumentError
from fixers.engine import FileReport, run_fixers
from fixers.names import SKIP_DIRS, is_dockerfile_name
from fixers.registry import FIXERS, by_name


@dataclass(frozen=True)
class Options:
    check: bool = False
    diff: bool = False
    offline: bool = False
    output: str = "text"


def discover(paths: Sequence[Path]) -> Iterator[Path]:
    """Files named explicitly, and Dockerfiles found under directories, sorted."""
    for path in paths:
        if path.is_dir():
            found = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                found += [Path(folder, f) for f in files if is_dockerfile_name(f)]
            yield from sorted(p for p in found if not p.is_symlink())
        elif path.exists():
            yield path
        else:
            raise DockmendError(f"no such file or directory: {path}")


def process(
    path: Path, fixers: list[Fixer], config: Config, options: Options, resolver: ImageResolver | None = None
) -> FileReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report = FileReport(str(path), b"", b"")
        report.error = DocumentError(f"cannot read: {exc.strerror}", 1)
        return report
    ctx = Context(
        path=str(path),
        repo=repo_info(path),
        labels=config.labels,
        label_policy=config.label_policy,
        files=LocalFiles(path.parent),
        offline=options.offline,
        resolver=resolver,
        policy=config.images,
    )
    return run_fixers(str(path), data, ctx, fixers, by_name())


def write(report: FileReport) -> None:
    """Write the rewrite; a file left alone (changed meanwhile, unwritable, a symlink out of
    the checkout) becomes the report's error, and the run goes on."""
    try:
        write_report(report)
    except NotWritten as exc:
        report.error = DocumentError(f"not written: {exc}", 1)


def summary(reports: Sequence[FileReport]) -> dict[str, int]:
    return {
        "files": len(reports),
        "changed": sum(r.changed for r in reports),
        "fixes": sum(len(r.fixes) for r in reports),
        "findings": sum(len(r.findings) for r in reports),
        "errors": sum(r.error is not None for r in reports),
        "retry_later": sum(r.retry_later is not None for r in reports),
    }


def as_json(reports: Sequence[FileReport]) -> dict[str, Any]:
    files = [
        {
            "path": r.path,
            "changed": r.changed,
            "fixes": [
                {"code": f.code, "name": f.name, "risk": f.risk.value, "line": f.line, "message": f.message}
                for f in r.fixes
            ],
            "findings": [{"code": f.code, "name": f.name, "line": f.line, "message": f.message} for f in r.findings],
            "error": {"message": r.error.message, "line": r.error.line} if r.error else None,
            "retry_later": r.retry_later,
        }
        for r in reports
    ]
    return {"files": files, "summary": summary(reports)}


def print_text(report: FileReport, out: TextIO, err: TextIO, options: Options) -> None:
    if report.error:
        print(f"{report.path}:{report.error.line}: error: {report.error.message}", file=err)
        return
    if report.retry_later:
        print(f"{report.path}: not processed, try again later: {report.retry_later}", file=err)
        return
    if options.diff:
        out.write(unified_diff(report))
    for fix in report.fixes:
        print(f"{report.path}:{fix.line} {fix.code} {fix.name}: {fix.message}", file=out)
    for finding in report.findings:
        print(f"{report.path}:{finding.line} {finding.code} {finding.name}: {finding.message}", file=out)


def print_summary(reports: Sequence[FileReport], out: TextIO, options: Options) -> None:
    s = summary(reports)
    verb = "would rewrite" if options.check or options.diff else "rewrote"
    print(
        f"{s['files']} file(s) checked, {verb} {s['changed']} ({s['fixes']} fix(es)), "
        f"{s['findings']} finding(s), {s['errors']} error(s)"
        + (f", {s['retry_later']} to try again later" if s["retry_later"] else ""),
        file=out,
    )


def run(paths: Sequence[Path], fixers: list[Fixer], config: Config, options: Options, out: TextIO, err: TextIO) -> int:
    with contextlib.ExitStack() as stack:
        resolver = None
        if not options.offline and any(f.NEEDS_NETWORK for f in fixers):
            client = resolver_from_config(config.registries, path=config.path, cache_path=default_path(os.environ))
            resolver = stack.enter_context(client)
        return _run(paths, fixers, config, options, resolver, out, err)


def _run(
    paths: Sequence[Path],
    fixers: list[Fixer],
    config: Config,
    options: Options,
    resolver: ImageResolver | None,
    out: TextIO,
    err: TextIO,
) -> int:
    reports = []
    for path in discover(paths):
        report = process(path, fixers, config, options, resolver)
        if report.changed and not (options.check or options.diff):
            write(report)
        if options.output == "text":
            print_text(report, out, err, options)
        reports.append(report)
    if options.output == "json":
        json.dump(as_json(reports), out, indent=2)
        out.write("\n")
    else:
        print_summary(reports, out, options)
    if any(r.error or r.retry_later for r in reports):
        return 2
    return 1 if options.check and any(r.changed for r in reports) else 0


def explain(code: str) -> str:
    codes = resolve_codes([code])
    fixer = FIXERS[codes.pop()]
    kind = "check (report only)" if fixer.RISK is Risk.REPORT else f"fixer, risk: {fixer.RISK.value}"
    return (
        f"{fixer.CODE} {fixer.NAME} — {kind}\nGuideline: {fixer.GUIDELINE}\n\n{fixer.MESSAGE}\n\n{fixer.EXPLANATION}\n"
    )
