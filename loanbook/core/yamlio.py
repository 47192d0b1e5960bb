"""YAML reading that keeps numbers exact, positions known, and a hostile file harmless.

- Numbers become Decimal built from their text (never float); dates stay text so that a bad date is
  reported with its field instead of failing the whole file inside the parser.
- Only YAML 1.2's plain forms are read as numbers and booleans. What YAML 1.1 reads in surprising
  ways (`010000` as octal 4,096, `1:30` as 90, `0x1000`, `1e400`, `.nan`, `yes`/`no`) is refused with
  its line: the writer quotes it or writes it plainly.
- Tags, complex keys and duplicate keys are refused; aliases are allowed only a few times and may not
  expand the document much (an alias bomb of a few hundred bytes would otherwise take gigabytes), and
  an anchor may not contain itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from .errors import InputError, Problem
from .files import MAX_YAML_BYTES, read_text

MAX_ALIASES = 100            # alias uses in one document
MAX_ALIAS_EXPANSION = 10_000  # nodes that aliases may add to the document, in all

_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_AMBIGUOUS = "tag:loanbook,2026:ambiguous"
_PLAIN_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL}

_AMBIGUOUS_FORMS = (
    r"[-+]?0[0-9_]+(?:\.[0-9_]*)?"                      # leading zero: YAML 1.1 octal (010000 = 4,096)
    r"|[-+]?0[xXoObB][0-9a-fA-F_]*"                     # hexadecimal, octal, binary
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"  # sexagesimal: 1:30 = 90
    r"|[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+"  # exponent: 1e400
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[-+]?[0-9]+_[0-9_]*(?:\.[0-9_]*)?"               # digit groups with _
    r"|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"       # YAML 1.1 booleans
)


class StrictResolver(BaseResolver):
    """YAML 1.2 core scalars (decimal numbers, true/false, null); the YAML 1.1 surprises are marked."""


StrictResolver.yaml_implicit_resolvers = {}
for _tag, _pattern in ((_AMBIGUOUS, _AMBIGUOUS_FORMS),
                       (_BOOL, r"true|True|TRUE|false|False|FALSE"),
                       (_NULL, r"~|null|Null|NULL|"),
                       (_INT, r"[-+]?(?:0|[1-9][0-9]*)"),
                       (_FLOAT, r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")):
    StrictResolver.add_implicit_resolver(_tag, re.compile(rf"^(?:{_pattern})$"), None)


class StrictConstructor(SafeConstructor):
    def construct_exact(self, node):
        if len(node.value) > 40:
            raise ConstructorError(None, None, f"a number of {len(node.value):,} characters is not an amount",
                                   node.start_mark)
        return Decimal(node.value)

    def construct_integer(self, node):
        return int(self.construct_exact(node))

    def construct_ambiguous(self, node):
        raise ConstructorError(None, None, f"{node.value!r} is read differently by different YAML versions "
                                           "(octal, hexadecimal, sexagesimal, exponent, .inf/.nan or yes/no): "
                                           "quote it, or write a plain decimal or true/false", node.start_mark)


StrictConstructor.yaml_constructors = dict(SafeConstructor.yaml_constructors)
StrictConstructor.yaml_constructors.update({
    _FLOAT: StrictConstructor.construct_exact, _INT: StrictConstructor.construct_integer,
    _AMBIGUOUS: StrictConstructor.construct_ambiguous,
    "tag:yaml.org,2002:timestamp": SafeConstructor.construct_scalar})

_Parser = getattr(yaml, "CParser", None)
if _Parser is None:  # pragma: no cover - PyYAML without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _PurePython(Reader, Scanner, Parser, Composer):
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

    _Parser = _PurePython


class StrictLoader(_Parser, StrictConstructor, StrictResolver):  # type: ignore[misc, valid-type]
    def __init__(self, stream):
        _Parser.__init__(self, stream)  # type: ignore[misc]
        StrictConstructor.__init__(self)
        StrictResolver.__init__(self)


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


def _where(node: Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


def _inspect(root: Node, file: str) -> dict[tuple, int]:
    """Walk the node graph once (iteratively): refuse tags, complex or repeated keys, self-containing
    anchors and alias expansion beyond the bounds; return the line of every path."""
    lines: dict[tuple, int] = {}
    seen: set[int] = set()
    aliases = 0
    expanded = 0
    # (node, path, ancestors' ids); a node met again is an alias use
    stack: list[tuple[Node, tuple, frozenset[int]]] = [(root, (), frozenset())]
    while stack:
        node, path, ancestors = stack.pop()
        if id(node) in ancestors:
            raise InputError([Problem(file, _where(node), None, "an anchor contains an alias of itself")])
        if id(node) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError([Problem(file, _where(node), None,
                                          f"more than {MAX_ALIASES} aliases (*name): write the values out")])
        seen.add(id(node))
        lines[path] = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            if node.tag not in _PLAIN_TAGS | {_AMBIGUOUS} or (node.style and node.tag != _STR):
                raise InputError([Problem(file, _where(node), None, "tags (!!type or !name) are not allowed")])
            continue
        if aliases:
            expanded += 1
            if expanded > MAX_ALIAS_EXPANSION:
                raise InputError([Problem(file, _where(node), None, "aliases expand the document beyond "
                                                                    f"{MAX_ALIAS_EXPANSION:,} nodes")])
        inner = ancestors | {id(node)}
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise InputError([Problem(file, _where(node), None, "tags (!!type or !name) are not allowed")])
            for i, item in enumerate(node.value):
                stack.append((item, path + (i,), inner))
        elif isinstance(node, MappingNode):
            if node.tag != _MAP:
                raise InputError([Problem(file, _where(node), None, "tags (!!type or !name) are not allowed")])
            keys: dict[str, Node] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise InputError([Problem(file, _where(key_node), None, "a key must be a plain name")])
                key = str(key_node.value)
                if key in keys:
                    raise InputError([Problem(file, _where(key_node), key,
                                              f"repeated key (first on line {keys[key].start_mark.line + 1}): "
                                              "one value per field")])
                keys[key] = key_node
                lines[path + (key,)] = key_node.start_mark.line + 1
                stack.append((value_node, path + (key,), inner))
    return lines


def load_yaml(path: Path, *, text: str | None = None, limit: int = MAX_YAML_BYTES) -> Located:
    """Load one YAML file; any problem is an InputError naming the file and the line."""
    if text is None:
        text = read_text(path, limit=limit, what="YAML file")
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        lines = _inspect(node, str(path)) if node is not None else {}
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        reason = getattr(exc, "problem", None) or ("nested too deeply" if isinstance(exc, RecursionError)
                                                   else str(exc))
        raise InputError([Problem(str(path), where, None, f"not valid YAML: {reason}")]) from None
    finally:
        loader.dispose()
    return Located(data, lines)
