"""YAML reading that keeps numbers exact and positions known.

Numbers become Decimal built from their text (never float); dates stay text so that a bad date
is reported with its field instead of failing the whole file inside the parser.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

from .errors import InputError, Problem

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ExactLoader(_Base):  # type: ignore[misc, valid-type]
    """The C safe loader with exact numbers and dates left as text."""


ExactLoader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: Decimal(node.value.replace("_", "")))
ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


@dataclass(frozen=True)
class Located:
    """A loaded YAML document and the line of every node in it, by path (keys and list indexes)."""

    data: object
    lines: dict[tuple, int]

    def line(self, path: tuple = ()) -> int | None:
        """The line of the deepest node on the path that the file has (a missing field: its parent)."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def _index_lines(node, path: tuple, lines: dict[tuple, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _index_lines(value_node, path + (str(key_node.value),), lines)
            lines[path + (str(key_node.value),)] = key_node.start_mark.line + 1


def load_yaml(path: Path, *, text: str | None = None) -> Located:
    """Load one YAML file; a syntax error is an InputError naming the file and the line."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError([Problem(str(path), None, None, f"cannot read file: {exc.strerror}")]) from None
    loader = ExactLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem(str(path), where, None, f"not valid YAML: {reason}")]) from None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return Located(data, lines)
