"""The landing folder: accepted batches written durably, one file each, before they are acknowledged.

A batch is written to a temporary file in the same folder, flushed and fsynced, renamed atomically
to its final name, and the folder itself is fsynced: once `land` returns, the file survives a crash
or a power cut whole, and before that it does not exist under a name `load` reads. Temporary names
(`.<name>.tmp`) match nothing the loader picks up (otlp_read.is_otlp, raw_files.FORMATS), and a
crash can leave only them behind; `sweep` removes them when the receiver starts.

Final names are `<signal>-<UTC time>-<uuid>.pb` (or `.otlp.jsonl`): unique, so no batch overwrites
another, sorted by arrival, and a load of the folder is idempotent (the manifest keys files by hash).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path

_TEMP = re.compile(r"\.(traces|logs|metrics)-[0-9TZ]+-[0-9a-f]{32}\.(pb|otlp\.jsonl)\.tmp")


def prepare(folder: Path) -> int:
    """Create FOLDER if needed and check it can be written; returns how many stale temp files went."""
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{folder}: the landing folder is not writable")
    return sweep(folder)


def sweep(folder: Path) -> int:
    """Remove the temporary files a crash left behind (never acknowledged, so never lost)."""
    removed = 0
    for p in folder.iterdir():
        if _TEMP.fullmatch(p.name) and p.is_file():
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def final_name(signal: str, suffix: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{signal}-{stamp}-{uuid.uuid4().hex}{suffix}"


def land(folder: Path, signal: str, data: bytes, suffix: str) -> Path:
    """DATA as a new file of FOLDER, durable when this returns (see the module's docstring)."""
    name = final_name(signal, suffix)
    final, temp = folder / name, folder / f".{name}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_folder(folder)
    return final


def fsync_folder(folder: Path) -> None:
    """Make a rename in FOLDER durable (the directory entry is data of the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
