"""Writing the files a server leaves behind (``--state``, ``--report``, ``--ready-file``).

:func:`write_atomically` is the one way they are written: a temporary file beside the
target, flushed and fsynced, renamed over it, the directory fsynced. A reader (or a
crash) sees the complete old file or the complete new one, never a part.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

PRIVATE_MODE = 0o600
"""The mode of a new file that holds secrets (the state file)."""
SHARED_MODE = 0o666
"""The mode asked for any other new file; the process's umask applies to it."""


def write_atomically(path: Path, data: bytes | str, new_mode: int = SHARED_MODE) -> None:
    """Replaces ``path`` with ``data`` (text is written as UTF-8).

    A symbolic link is written through: its target is replaced, the link stays. An
    existing file keeps its permission bits; a new one gets ``new_mode`` (less the
    umask). Raises ``OSError`` when it cannot, and then the old file is as it was and
    no temporary file is left.
    """
    target = path.resolve()
    content = data.encode("utf-8") if isinstance(data, str) else data
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, new_mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            _keep_mode(handle.fileno(), target)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _keep_mode(fd: int, target: Path) -> None:
    """Gives the temporary file ``fd`` the permission bits of ``target``, if it exists."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    os.fchmod(fd, mode)


def _fsync_directory(directory: Path) -> None:
    """Makes the rename itself durable (where the platform allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unwritable_reason(path: Path) -> str | None:
    """Why the server could not write ``path`` the way :func:`write_atomically` does
    (``None``: it can). Checked by trying: a probe file is made and removed in the
    directory that would hold it. A file whose permission bits give no one write
    access is refused even where the process could replace it (as root): it was made
    read-only to be kept as it is."""
    target = path.resolve()
    if target.is_dir():
        return "it is a directory"
    if not target.parent.is_dir():
        return f"no directory {target.parent}"
    if target.exists() and not _writable_by_mode(target):
        return "the file is read-only"
    probe = target.with_name(f".{target.name}.{secrets.token_hex(4)}.probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    except OSError as exc:
        return f"cannot create a file in {target.parent}: {exc.strerror or exc}"
    probe.unlink(missing_ok=True)
    return None


def _writable_by_mode(target: Path) -> bool:
    mode = target.stat().st_mode
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(target, os.W_OK)


def unwritable(paths: Iterable[tuple[str, Path | None]]) -> str | None:
    """Why one of the files (flag, path) cannot be written; ``None`` when each can."""
    for flag, path in paths:
        reason = None if path is None else unwritable_reason(path)
        if reason is not None:
            return f"{path}: cannot write the {flag} file there: {reason}"
    return None
