"""Fault injection: make the n-th write, link, rename, replace or exchange of a render fail
(ENOSPC) or kill the process, in a forked child, so <out> can be checked after each."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

from click.testing import CliRunner

from kkpgen.cli import main
from kkpgen.output import staging

# The operations the writer performs on the file system, by the name they are patched under.
OPERATIONS: dict[str, tuple[object, str]] = {
    "write": (staging, "_write"),
    "link": (os, "link"),
    "rename": (os, "rename"),
    "replace": (os, "replace"),
    "exchange": (staging, "_exchange"),
}


def render_exit_code(argv: list[str]) -> int:
    return CliRunner().invoke(main, argv, catch_exceptions=False).exit_code


def patch_operation(operation: str, fault: Callable[[int], None]) -> None:
    """Wrap one operation: `fault(n)` runs before its n-th call (in this process only)."""
    module, name = OPERATIONS[operation]
    original = getattr(module, name)
    calls = [0]

    def wrapper(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        fault(calls[0])
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


def render_with_fault(argv: list[str], operation: str, at: int, kind: str) -> int:
    """Render in a child whose `at`-th `operation` fails (exit 4 expected) or kills it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover  the child

        def fault(n: int) -> None:
            if n != at:
                return
            if kind == "kill":
                os._exit(137)  # no finally, no __exit__: what SIGKILL leaves
            raise OSError(errno.ENOSPC, "No space left on device")

        patch_operation(operation, fault)
        try:
            os._exit(render_exit_code(argv))
        except BaseException:  # noqa: BLE001  a traceback is a failure: report it as 99
            os._exit(99)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
