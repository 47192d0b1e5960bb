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
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
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

    def resolve(self, kind, value, implicit):
        # a plain scalar's tag depends on its text alone, and records repeat theirs (keys, types, dates):
        # remembered, since matching every pattern is most of the time it takes to read a long record
        if kind is not ScalarNode or not implicit[0] or len(value) > 64:
            return super().resolve(kind, value, implicit)
        tag = _PLAIN_TAGS_SEEN.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_PLAIN_TAGS_SEEN) < 50_000:
                _PLAIN_TAGS_SEEN[value] = tag
        return tag


_PLAIN_TAGS_SEEN: dict[str, str] = {}


StrictResolver.yaml_implicit_resolvers = {}
for _tag, _pattern in ((_AMBIGUOUS, _AMBIGUOUS_FORMS),
                       (_BOOL, r"true|True|TRUE|false|False|FALSE"),
                       (_NULL, r"~|null|Null|NULL|"),
                       (_INT, r"[-+]?(?:0|[1-9][0-9]*)"),
                       (_FLOAT, r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")):
    StrictResolver.add_implicit_resolver(_tag, re.compile(rf"^(?:{_pattern})$"), None)


try:  # libyaml's parser: PyYAML's pure Python one is slow (seconds a megabyte) on large or deep files
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
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

    _Parser = _PurePython  # type: ignore[misc, assignment]


class StrictLoader(_Parser, StrictResolver):  # type: ignore[misc, valid-type]
    """Parses and composes the node graph; `_inspect` checks it and builds the data."""

    def __init__(self, stream):
        _Parser.__init__(self, stream)  # type: ignore[misc]
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


_DIGITS = re.compile(r"[0-9]+(\.[0-9]*)?")  # a key that is a number: the tail of an amount a comma split
MAX_DEPTH = 100          # levels of nesting: a facility's files need a handful
MAX_PROBLEMS = 50        # problems collected from one file before giving up on it
_AMBIGUOUS_MESSAGE = ("{!r} is read differently by different YAML versions (octal, hexadecimal, sexagesimal, "
                      "exponent, .inf/.nan or yes/no): quote it, or write a plain decimal or true/false")

Locate = Callable[[tuple, int], "tuple[str | None, str | None]"]


def located_at(path: tuple, line: int) -> tuple[str | None, str | None]:
    """The default place of a node: its line, and its path as the field."""
    return f"line {line}", ".".join(str(p) for p in path) or None


def _inspect(root: Node, file: str, locate: Locate) -> tuple[object, dict[tuple, int]]:
    """Walk the node graph once (iteratively): refuse tags, numbers YAML versions read differently, complex
    or repeated keys, self-containing anchors, nesting and alias expansion beyond the bounds; build the data
    (numbers as Decimal) and the line of every path as it goes."""
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    seen: set[int] = set()
    aliases = 0
    expanded = 0

    def problem(node: Node, path: tuple, message: str) -> None:
        position, field = locate(path, node.start_mark.line + 1)
        problems.append(Problem(file, position, field, message))

    holder: list = [None]
    # (node, path, ancestors' ids, where its value goes: container and key); a node met again is an alias use
    stack: list[tuple[Node, tuple, frozenset[int], object, object]] = [(root, (), frozenset(), holder, 0)]
    while stack and len(problems) < MAX_PROBLEMS:
        node, path, ancestors, into, at = stack.pop()
        if id(node) in ancestors:
            problem(node, path, "an anchor contains an alias of itself")
            break
        if id(node) in seen:
            aliases += 1
            if aliases > MAX_ALIASES:
                problem(node, path, f"more than {MAX_ALIASES} aliases (*name): write the values out")
                break
        seen.add(id(node))
        lines[path] = node.start_mark.line + 1
        if len(path) > MAX_DEPTH:
            problem(node, path, f"nested more than {MAX_DEPTH} levels deep")
            break
        if isinstance(node, ScalarNode):
            wrong = _scalar_problem(node)
            if wrong:
                problem(node, path, wrong)
            else:
                into[at] = _scalar(node)  # type: ignore[index]
            continue
        if aliases:
            expanded += 1
            if expanded > MAX_ALIAS_EXPANSION:
                problem(node, path, f"aliases expand the document beyond {MAX_ALIAS_EXPANSION:,} nodes")
                break
        inner = ancestors | {id(node)}
        if node.tag not in (_SEQ, _MAP):
            problem(node, path, "tags (!!type or !name) are not allowed")
            continue
        if isinstance(node, SequenceNode):
            items: list = [None] * len(node.value)
            into[at] = items  # type: ignore[index]
            for i, item in enumerate(node.value):
                stack.append((item, path + (i,), inner, items, i))
        elif isinstance(node, MappingNode):
            mapping: dict = {}
            into[at] = mapping  # type: ignore[index]
            keys: dict[str, Node] = {}
            split = False
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    problem(key_node, path, "a key must be a plain name")
                    continue
                if (node.flow_style and not key_node.style and _DIGITS.fullmatch(str(key_node.value))
                        and isinstance(value_node, ScalarNode) and value_node.value == "" and not value_node.style):
                    if not split:  # once per mapping: 3,500,000.00 gives two such keys
                        problem(key_node, path, f"{str(key_node.value)[:40]!r} is read as a field of its own: in "
                                                "{...} a comma ends a field, so an amount written 3,500,000.00 "
                                                "splits in three; quote it (\"3,500,000.00\") or write 3500000.00")
                    split = True
                    continue
                wrong = _scalar_problem(key_node)
                if wrong:
                    problem(key_node, path, f"key {str(key_node.value)[:40]!r}: {wrong}")
                    continue
                key = str(key_node.value)
                if key == "<<":
                    problem(key_node, path, "merge keys (<<) are not allowed: write the fields out")
                    continue
                if key in keys:
                    problem(key_node, path + (key,), f"repeated key (first on line "
                                                     f"{keys[key].start_mark.line + 1}): one value per field")
                    continue
                keys[key] = key_node
                mapping[_scalar(key_node)] = None  # the document's order of keys, values filled as they come
                lines[path + (key,)] = key_node.start_mark.line + 1
                stack.append((value_node, path + (key,), inner, mapping, _scalar(key_node)))
    if problems:
        raise InputError(problems)
    return holder[0], lines


def _scalar_problem(node: ScalarNode) -> str | None:
    if node.tag not in _PLAIN_TAGS | {_AMBIGUOUS} or (node.style and node.tag != _STR):
        return "tags (!!type or !name) are not allowed"
    if node.tag == _AMBIGUOUS:
        return _AMBIGUOUS_MESSAGE.format(node.value[:40])
    if node.tag in (_INT, _FLOAT) and len(node.value) > 40:
        return f"a number of {len(node.value):,} characters is not an amount"
    return None


def _scalar(node: ScalarNode) -> object:
    """A scalar's value by its tag: YAML 1.2's plain numbers exact (Decimal; an integer as int), true/false,
    null; everything else text (dates stay text, checked with their field)."""
    if node.tag == _STR:
        return node.value
    if node.tag == _INT:
        return int(node.value)
    if node.tag == _FLOAT:
        return Decimal(node.value)
    if node.tag == _BOOL:
        return node.value.lower() == "true"
    return None  # null


def load_yaml(path: Path, *, text: str | None = None, limit: int = MAX_YAML_BYTES,
              locate: Locate = located_at) -> Located:
    """Load one YAML file; any problem is an InputError naming the file, the line and, where the problem
    is in a value, the place (`locate` turns a path into a position and a field: "event 3", "amount")."""
    if text is None:
        text = read_text(path, limit=limit, what="YAML file")
    deep = _flow_too_deep(text)
    if deep is not None:
        raise InputError([Problem(str(path), f"line {deep}", None, f"nested more than {MAX_DEPTH} levels deep")])
    loader = None
    try:
        loader = StrictLoader(text)
        node = loader.get_single_node()
        data, lines = _inspect(node, str(path), locate) if node is not None else (None, {})
    except (yaml.YAMLError, RecursionError) as exc:
        raise InputError([Problem(str(path), _mark(exc, text), None, f"not valid YAML: {_reason(exc)}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Located(data, lines)


def _flow_too_deep(text: str) -> int | None:
    """The line where [ and { brackets nest beyond the bound, found by a scan before parsing: a small file of
    deep nests would otherwise cost the parser seconds."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    quote = ""
    for found in _FLOW_CHARS.finditer(text):
        ch = found.group()
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, found.start()) + 1
        elif depth:
            depth -= 1
    return None


_FLOW_CHARS = re.compile(r"[\[\]{}'\"]")


def _mark(exc: BaseException, text: str) -> str | None:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    position = getattr(exc, "position", None)  # the reader's errors give a character position
    if isinstance(position, int):
        return f"line {text.count(chr(10), 0, position) + 1}"
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return f"nested more than {MAX_DEPTH} levels deep"
    if isinstance(exc, yaml.reader.ReaderError):
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        return f"the character U+{code:04X} is not allowed in a YAML file (control characters are not)"
    return getattr(exc, "problem", None) or str(exc)
