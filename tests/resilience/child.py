"""``python -m tests.resilience.child run …``: the ``dockmend`` command, with test hooks.

The command itself (``bot.cli.app.run``, the console script's entry point), in a process of
its own. Two environment variables add what a test cannot reach from outside:

- ``DOCKMEND_TEST_KILL_IN=module:function:n``: the process kills itself (SIGKILL) right
  after the n-th call of that function returns, e.g. in the middle of the state write
  (``bot.state.store:record_repository:2``: a repository's row flushed, the
  transaction not committed).
- ``DOCKMEND_TEST_UNTHROTTLED=1``: PyGithub without its production pacing, for as long
  as the github platform settings have no keys to switch it off.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
from typing import Any

KILL_IN = "DOCKMEND_TEST_KILL_IN"
UNTHROTTLED = "DOCKMEND_TEST_UNTHROTTLED"


def kill_in(spec: str) -> None:
    module_name, name, nth = spec.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name)
    calls = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == int(nth):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, name, wrapper)


def unthrottled() -> None:
    from bot.platforms import github, github_auth

    original = github_auth.clients_from_settings

    def clients(settings: Any, env: Any, tuning: github_auth.Tuning | None = None) -> Any:
        return original(settings, env, tuning or github_auth.Tuning.unthrottled())

    github.clients_from_settings = clients  # type: ignore[attr-defined]  # the name from_settings calls


def main() -> None:
    if os.environ.get(KILL_IN):
        kill_in(os.environ[KILL_IN])
    if os.environ.get(UNTHROTTLED):
        unthrottled()
    from bot.cli.app import run

    run()


if __name__ == "__main__":
    main()
