"""The interpretation register: where the contract reads two ways, which reading is in force and why.

Terms point at the register with `{interpretation: I-n}`; the loader substitutes the value of the
reading in force, so switching a reading for a facility changes the figures and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Reading:
    id: str
    text: str
    value: object


@dataclass(frozen=True)
class Interpretation:
    id: str
    clause: str
    question: str
    readings: tuple[Reading, ...]
    in_force: str
    why: str
    resolves: tuple[str, ...] = ()  # fragments of clause text this interpretation settles

    def reading(self, reading_id: str | None = None) -> Reading:
        wanted = reading_id or self.in_force
        for reading in self.readings:
            if reading.id == wanted:
                return reading
        raise KeyError(wanted)


@dataclass(frozen=True)
class Register:
    items: tuple[Interpretation, ...]

    def get(self, interpretation_id: str) -> Interpretation:
        for item in self.items:
            if item.id == interpretation_id:
                return item
        raise KeyError(interpretation_id)

    def ids(self) -> set[str]:
        return {item.id for item in self.items}

    def choose(self, interpretation_id: str, reading_id: str) -> Register:
        """The register with another reading in force (a facility's switch, or a what-if)."""
        target = self.get(interpretation_id)
        target.reading(reading_id)  # KeyError if there is no such reading
        return Register(tuple(replace(i, in_force=reading_id) if i.id == interpretation_id else i
                              for i in self.items))


def substitute(raw: object, register: Register, path: str = "") -> tuple[object, dict[str, str]]:
    """Replace every `{interpretation: ID}` in raw terms by the chosen reading's value.

    Returns the substituted terms and which interpretation each substituted field came from.
    """
    used: dict[str, str] = {}

    def walk(node: object, where: tuple) -> object:
        # the path is kept as its parts and written only for a substituted field: terms are walked at every load
        if isinstance(node, dict):
            if len(node) == 1 and "interpretation" in node:
                interpretation = register.get(str(node["interpretation"]))
                used[_written(path, where)] = interpretation.id
                return interpretation.reading().value
            return {key: walk(value, (where, key, False)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value, (where, i, True)) for i, value in enumerate(node)]
        return node

    return walk(raw, ()), used


def _written(path: str, where: tuple) -> str:
    """A field's path as `substitute` names it: keys joined by dots after `path`, list places in brackets."""
    parts: list[tuple[object, bool]] = []
    while where:
        where, part, index = where
        parts.append((part, index))
    written = path
    for part, index in reversed(parts):
        if index:
            written += f"[{part}]"
        else:
            written = f"{written}.{part}" if written else str(part)
    return written
