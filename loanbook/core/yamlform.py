"""A YAML file as `yamlio.load_yaml` read it (its data and the line of every node) kept as JSON text, so the
store reads a facility's files again with the C json module instead of YAML's parser: an agreement's YAML is most
of what parsing it costs, and a book run parses thousands.

A form stands for one text read by one version of the reading code: it is found by the SHA-256 of the text and a
digest of this module and yamlio.py (`CODE`), so a changed file or new reading code finds no form and the YAML is
parsed again. A form carries a digest of its own JSON: one damaged in storage is not used (the YAML is parsed
instead), never read as other data. Only the YAML's reading is skipped: the agreement is validated from the data
exactly as from a parse.

Numbers keep their type and exponent: an integer is written as a JSON integer, a Decimal always with a point or
an exponent (`5E+0` for Decimal('5')), and read back with `parse_float=Decimal`. A mapping with a key that is not
text has no form (JSON keys are text).
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from .yamlio import Located, load_yaml


class NoForm(ValueError):
    """Data JSON cannot hold exactly; or text that is not a form this code wrote."""


@cache
def code() -> str:
    """A digest of the code that reads YAML and writes its forms: new code finds none of the old forms."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("yamlio.py", "yamlform.py"):
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()


def form_of(located: Located) -> str:
    """The JSON text of a loaded file (NoForm where its data cannot be written exactly)."""
    payload = "[" + _json(located.data) + "," + json.dumps([[list(path), line] for path, line in
                                                            located.lines.items()]) + "]"
    return json.dumps(_digest(payload)) + "\n" + payload


def located_of(form: str) -> Located:
    """The loaded file a form holds (NoForm: damaged, or not a form)."""
    head, _, payload = form.partition("\n")
    try:
        if json.loads(head) != _digest(payload):
            raise NoForm("the form does not match its digest")
        data, lines = json.loads(payload, parse_float=Decimal)
        return Located(data, {tuple(path): line for path, line in lines})
    except (ValueError, TypeError) as exc:
        raise NoForm(str(exc)) from None


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()


def _json(value: object) -> str:
    """JSON text for what yamlio builds: text, int, Decimal, true/false, null, lists and text-keyed mappings."""
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NoForm(f"{value} is not a number JSON holds")
        text = str(value)
        return text if any(c in text for c in ".eE") else text + "E+0"  # read back as a Decimal, not an int
    if isinstance(value, list):
        return "[" + ",".join(_json(item) for item in value) + "]"
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise NoForm("a key that is not text")
        return "{" + ",".join(json.dumps(key) + ":" + _json(item) for key, item in value.items()) + "}"
    raise NoForm(f"a {type(value).__name__} in the data")


class Forms:
    """The forms a store keeps for this code, by the SHA-256 of the text; and the forms made since, for files read
    without one (`take`: to be kept, so the next run finds them)."""

    def __init__(self, kept: dict[str, str] | None = None):
        self.kept = kept or {}
        self.made: dict[str, str] = {}

    def read(self, label: str, text: str, sha256: str) -> Located:
        """The file as `load_yaml(label, text=text)` reads it: from its form if one is kept and whole."""
        form = self.kept.get(sha256)
        if form is not None:
            try:
                return located_of(form)
            except NoForm:
                pass  # damaged: parsed again below, and a new form made in its place
        located = load_yaml(Path(label), text=text)
        try:
            self.made[sha256] = form_of(located)
        except NoForm:
            pass  # data JSON cannot hold exactly: this file is always parsed
        return located

    def take(self) -> dict[str, str]:
        """The forms made since the last take."""
        made, self.made = self.made, {}
        return made
