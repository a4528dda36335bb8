"""Every string kkpgen prints, escaped for its medium: one function per medium, used by every
reporter (cli/printing.py, cli/summary.py, gitops/report.py, `render --check`).

A value from a spec (a label, a wave, a cluster's file name, a ref) is data: in a terminal it
must not forge a line or a GitHub workflow command (`::error ...`, read by the runner from
any line of a job's log); in a pull-request comment it must not open HTML, mention a team,
close a `<details>` or a table cell, or end a code fence (issue 23). JSON is escaped by the
json module; workflow commands' own fields by cli/printing.github_data.
"""

from __future__ import annotations

import re

# A workflow command is read from a line whose text, after leading white space, starts with
# "::" (actions/runner ActionCommand.TryParseV2 trims the start of the line).
_COMMAND = re.compile(r"^(\s*)::")
# What starts emphasis, a link or image, code, strikethrough or a table cell mid-line; the
# values escaped here are never at the start of a line (lists, headings need that).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_HTML = {"&": "&amp;", "<": "&lt;"}  # no tag or entity can start; `>` alone is text
_BACKTICKS = re.compile(r"`+")


def control(text: str) -> str:
    """Control and other unprintable characters made visible (`\\n`, `\\x1b`, `\\u202e`)."""
    if text.isprintable():  # nearly always: skip the per-character pass
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def terminal(text: str) -> str:
    """One line of terminal text: no control character, and no workflow command."""
    return _COMMAND.sub(r"\1\\x3a:", control(text), count=1)


def terminal_lines(text: str) -> str:
    """Text of several lines (a unified diff): each line escaped, the line breaks kept."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def _entities(text: str) -> str:
    return "".join(_HTML.get(ch, ch) for ch in text)


def markdown(text: str) -> str:
    """Inline Markdown text, also safe in a table cell: no HTML (`</details>`, `<img>`), no
    @mention, no emphasis, link or code, no line break."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", _entities(control(text)))
    # GitHub finds mentions in the rendered text, after entities and backslashes are gone:
    # a zero-width space after `@` keeps `@team` from being one (as Renovate writes them).
    return escaped.replace("@", "@&#8203;")


def markdown_code(text: str) -> str:
    """An inline code span holding `text` as written: delimited by more backticks than any
    run inside it, so no backtick in the value ends it."""
    body = control(text)
    runs = [len(run) for run in _BACKTICKS.findall(body)]
    fence = "`" * (max(runs, default=0) + 1)
    # CommonMark strips one space from each end when both ends have one (and not only spaces)
    spaced = body[:1] == body[-1:] == " " and bool(body.strip())
    pad = " " if body[:1] == "`" or body[-1:] == "`" or spaced else ""
    return f"{fence}{pad}{body or ' '}{pad}{fence}"


def markdown_block(text: str, info: str = "") -> str:
    """A fenced code block holding `text`: the fence is longer than any backtick run at the
    start of a line in it, so no line of the value closes it (CommonMark 4.5)."""
    lines = [control(line) for line in text.rstrip("\n").split("\n")]
    runs = [len(m.group()) for line in lines if (m := _BACKTICKS.match(line.lstrip()))]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return "\n".join([f"{fence}{info}", *lines, fence])
