"""The one way a file comes in: regular, bounded in size, UTF-8, and (for a facility) inside its folder.

A facility folder may come from someone else. Its files name other files (a document's `text_file`);
nothing it names may lead outside the folder (no `..`, no absolute path, no symlink out), and nothing
may make a command read without end (`/dev/zero`, a FIFO, a 50 MB file).
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .errors import InputError, Problem

if TYPE_CHECKING:
    from .yamlform import Forms

MAX_YAML_BYTES = 16 * 1024 * 1024   # a facility's events.yaml of many years stays well below this
MAX_TEXT_BYTES = 4 * 1024 * 1024    # an agreement's full text: a few hundred kB in practice


def refuse(path: Path | str, message: str, position: str | None = None, field: str | None = None) -> InputError:
    return InputError([Problem(str(path), position, field, message)])


def inside(root: Path, name: str, *, what: str, file: Path | str, position: str | None = None,
           field: str | None = None) -> Path:
    """`root / name`, refused unless it stays inside `root` once every link is resolved."""
    if not name or os.path.isabs(name) or "\\" in name or any(part == ".." for part in Path(name).parts):
        raise refuse(file, f"{what} must be a path inside the facility folder, got {name!r}", position, field)
    _no_control(name, what=what, file=file, position=position, field=field)
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


def read_bytes(path: Path, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> bytes:
    """The content of a regular file of at most `limit` bytes, or an InputError naming it."""
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
    return data


def utf8(data: bytes, label: Path | str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(label, f"not UTF-8 text: byte {exc.start + 1} (line {line}) cannot be decoded; save the "
                            "file as UTF-8") from None


def read_text(path: Path, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> str:
    """The text of a regular file of at most `limit` bytes, decoded as UTF-8, or an InputError naming it."""
    return utf8(read_bytes(path, limit=limit, what=what), path)


# --- a facility's files, wherever they are kept ----------------------------------------------------------

def relative(base: str, name: str, *, what: str, file: str, position: str | None = None,
             field: str | None = None) -> str:
    """`name` (as a facility file writes it, relative to the folder `base` of that file) as a path from the
    facility's root, refused if it could lead outside the facility."""
    if not name or os.path.isabs(name) or "\\" in name or any(part == ".." for part in PurePosixPath(name).parts):
        raise refuse(file, f"{what} must be a path inside the facility folder, got {name!r}", position, field)
    _no_control(name, what=what, file=file, position=position, field=field)
    return str(PurePosixPath(base, name))


def _no_control(name: str, *, what: str, file: Path | str, position: str | None, field: str | None) -> None:
    """A path with a NUL or another control character is never a file's name (the OS refuses a NUL with a
    traceback): refused with its place."""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise refuse(file, f"{what} holds a control character (a NUL, a newline ...): {name!r}", position, field)


class FacilityFiles:
    """The files of a facility, by their path from its root ("facility.yaml", "documents/amendment-10.yaml").
    Two kinds keep them: a folder on disk (`Folder`) and the store (`StoredFiles`); the loader reads both
    the same way, so a stored facility is checked exactly as its folder was. Each keeps a digest of what it
    has read (`fingerprint`): the same fingerprint is the same agreement, whose check need not run again."""

    forms: Forms | None = None  # the store's forms of its YAML files (yamlform.py); a folder has none

    def __init__(self) -> None:
        self._read: dict[str, str] = {}  # path -> SHA-256 of its content, for every file read

    def fingerprint(self) -> str:
        """A SHA-256 of every file read so far, by path: what the terms were read from."""
        digest = hashlib.sha256()
        for rel, content in sorted(self._read.items()):
            digest.update(f"{rel}\0{content}\n".encode())
        return digest.hexdigest()

    def digest(self, rel: str) -> str:
        """The SHA-256 of a file read."""
        return self._read[rel]

    def label(self, rel: str) -> str:
        """How problems name a file."""
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        raise NotImplementedError

    def listing(self, folder: str, suffix: str) -> list[str]:
        """The files directly in `folder` whose names end with `suffix`, sorted."""
        raise NotImplementedError

    def read(self, rel: str, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> str:
        return utf8(self.read_bytes(rel, limit=limit, what=what), self.label(rel))

    def read_bytes(self, rel: str, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> bytes:
        data = self._bytes(rel, limit=limit, what=what)
        self._read[rel] = hashlib.sha256(data).hexdigest()
        return data

    def _bytes(self, rel: str, *, limit: int, what: str) -> bytes:
        raise NotImplementedError


class Folder(FacilityFiles):
    """A facility folder on disk: every read stays inside it (links included) and goes through `read_text`."""

    def __init__(self, root: Path | str):
        super().__init__()
        self.root = Path(root)

    def label(self, rel: str) -> str:
        return str(self.root / rel)

    def exists(self, rel: str) -> bool:
        return (self.root / rel).exists()

    def listing(self, folder: str, suffix: str) -> list[str]:
        path = contained(self.root, self.root / folder, what=f"the {folder} folder")
        if not path.is_dir():
            return []
        names = sorted(p.name for p in path.iterdir() if p.name.endswith(suffix))
        return [str(PurePosixPath(folder, name)) for name in names]

    def _bytes(self, rel: str, *, limit: int, what: str) -> bytes:
        path = contained(self.root, self.root / rel, what=what)
        return read_bytes(path, limit=limit, what=what)


class StoredFiles(FacilityFiles):
    """A facility's files as the store keeps them: path -> content, named `store:<facility>/<path>`."""

    def __init__(self, name: str, files: dict[str, bytes], forms: Forms | None = None):
        super().__init__()
        self.name, self.files, self.forms = name, files, forms

    def label(self, rel: str) -> str:
        return f"store:{self.name}/{rel}"

    def exists(self, rel: str) -> bool:
        return rel in self.files

    def listing(self, folder: str, suffix: str) -> list[str]:
        prefix = f"{folder}/" if folder else ""
        return sorted(p for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix):]
                      and p.endswith(suffix))

    def _bytes(self, rel: str, *, limit: int, what: str) -> bytes:
        if rel not in self.files:
            raise refuse(self.label(rel), f"no such {what}")
        data = self.files[rel]
        if len(data) > limit:
            raise refuse(self.label(rel), f"the {what} is more than {limit:,} bytes, the limit")
        return data
