"""The one way a file comes in: regular, bounded in size, UTF-8, and (for a facility) inside its folder.

A facility folder may come from someone else. Its files name other files (a document's `text_file`);
nothing it names may lead outside the folder (no `..`, no absolute path, no symlink out), and nothing
may make a command read without end (`/dev/zero`, a FIFO, a 50 MB file).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputError, Problem

MAX_YAML_BYTES = 16 * 1024 * 1024   # a facility's events.yaml of many years stays well below this
MAX_TEXT_BYTES = 4 * 1024 * 1024    # an agreement's full text: a few hundred kB in practice


def refuse(path: Path | str, message: str, position: str | None = None, field: str | None = None) -> InputError:
    return InputError([Problem(str(path), position, field, message)])


def inside(root: Path, name: str, *, what: str, file: Path | str, position: str | None = None,
           field: str | None = None) -> Path:
    """`root / name`, refused unless it stays inside `root` once every link is resolved."""
    if not name or os.path.isabs(name) or "\\" in name or any(part == ".." for part in Path(name).parts):
        raise refuse(file, f"{what} must be a path inside the facility folder, got {name!r}", position, field)
    return contained(root, root / name, what=what, file=file, position=position, field=field)


def contained(root: Path, path: Path, *, what: str, file: Path | str | None = None,
              position: str | None = None, field: str | None = None) -> Path:
    """`path`, refused if it resolves (following links) to somewhere outside `root`."""
    try:
        real_root = root.resolve()
        real = path.resolve()
    except (RuntimeError, OSError) as exc:  # a link that points at itself, or a chain of them
        raise refuse(file or path, f"{what} cannot be resolved: a symbolic link loop or a broken path ({exc})",
                     position, field) from None
    if real != real_root and real_root not in real.parents:
        raise refuse(file or path, f"{what} leads outside the facility folder ({path} -> {real})", position, field)
    return path


def read_text(path: Path, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> str:
    """The text of a regular file of at most `limit` bytes, decoded as UTF-8, or an InputError naming it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse(path, f"no such {what}") from None
    except IsADirectoryError:
        raise refuse(path, f"the {what} is a folder, not a file") from None
    except OSError as exc:
        raise refuse(path, f"cannot read the {what}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise refuse(path, f"the {what} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise refuse(path, f"the {what} is not a regular file (a device, pipe or socket is never read)")
        if info.st_size > limit:
            raise refuse(path, f"the {what} is {info.st_size:,} bytes; the limit is {limit:,}")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise refuse(path, f"the {what} is more than {limit:,} bytes, the limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(path, f"not UTF-8 text: byte {exc.start + 1} (line {line}) cannot be decoded; save the "
                           "file as UTF-8") from None
