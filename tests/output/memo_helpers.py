"""Where the memo of the renders into an output folder lives (output/record.py), for tests
that read, edit or forge it."""

from __future__ import annotations

from pathlib import Path

from kkpgen.output.record import MEMO_FOLDER, memo_name
from kkpgen.source.private import cache_home


def memo_file(out: Path) -> Path:
    """The memo file in the user's cache, never in <out>."""
    home = cache_home()
    assert home is not None, "no cache folder: no HOME and no XDG_CACHE_HOME"
    return home / "kkpgen" / MEMO_FOLDER / memo_name(out)
