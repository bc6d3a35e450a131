"""Durable file primitives: fsynced appends, atomic replaces, private modes."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("fluigbot.journal")

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_dir(path: Path) -> None:
    if not path.is_dir():
        old = os.umask(0o077)
        try:
            path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        finally:
            os.umask(old)
        fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; nothing more to do there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_for(path: Path) -> Path:
    """The temp file beside path that a rewrite goes through (dot-named: readers skip it)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write(path: Path, flags: int, data: bytes, sync: bool) -> int:
    """Write all of data through one descriptor (fsynced if asked); the file's size after."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flags, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write a whole 0600 file (created or truncated)."""
    _write(path, os.O_TRUNC, data, sync)


def atomic_write(path: Path, data: bytes) -> None:
    """temp file + fsync + os.replace + fsync of the folder."""
    tmp = temp_for(path)
    write_new(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def append(path: Path, data: bytes, *, sync: bool = True, sync_dir: bool = True) -> int:
    """Append in one write (O_APPEND), fsync, and return the file's new size. A file created
    here gets its folder fsynced too, unless the caller does that for many (sync_dir=False)."""
    created = not path.exists()
    size = _write(path, os.O_APPEND, data, sync)
    if created and sync and sync_dir:
        fsync_dir(path.parent)
    return size


def truncate(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def check_modes(root: Path) -> list[str]:
    """Paths (relative) that are readable by others than the owner; logged as a warning."""
    loose: list[str] = []
    try:
        mode = root.stat().st_mode
    except FileNotFoundError:
        return loose
    if stat.S_IMODE(mode) & 0o077:
        loose.append(".")
    with os.scandir(root) as it:
        for item in it:
            if stat.S_IMODE(item.stat(follow_symlinks=False).st_mode) & 0o077:
                loose.append(item.name)
    return loose
