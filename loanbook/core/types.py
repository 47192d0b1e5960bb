"""Annotated field types shared by every schema: exact money, percentages, ISO dates and times."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from .dates import parse_iso_date, parse_timestamp
from .money import parse_money, parse_number, parse_percent

Money = Annotated[Decimal, BeforeValidator(lambda v: parse_money(v, what="amount"))]
Percent = Annotated[Decimal, BeforeValidator(lambda v: parse_percent(v, what="percentage"))]
Number = Annotated[Decimal, BeforeValidator(lambda v: parse_number(v, what="number"))]
IsoDate = Annotated[date, BeforeValidator(lambda v: parse_iso_date(v))]
Timestamp = Annotated[datetime, BeforeValidator(lambda v: parse_timestamp(v, what="recorded_at"))]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]  # a name formulas can use
FACILITY_ID = r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,63}"  # no path separator, no '..': it names files and URLs
FACILITY_ID_RULE = ("a facility id is 1 to 64 letters, digits, '-', '_' or '.' (never '..'), starting with a letter "
                    "or digit")


def _facility_id(value: str) -> str:
    if not re.fullmatch(FACILITY_ID, value):
        raise ValueError(f"{FACILITY_ID_RULE}; got {value!r}")
    return value


FacilityId = Annotated[str, AfterValidator(_facility_id)]
Text = Annotated[str, Field(max_length=20_000)]
Flag = StrictBool  # true or false, never "yes", "off" or 1


class Strict(BaseModel):
    """Immutable, and a misspelt or unknown field is an error rather than silently ignored.

    Its validator is built when first used, not when the class is defined: a command pays only for the kinds of
    terms and events its facility has (the cold start of `loanbook status`, docs/performance.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True,
                              hide_input_in_errors=True, defer_build=True)


def pydantic_problems(exc, file: str, *, label: str | None = None, located=None, base_path: tuple = (),
                      field_prefix: str = "", event: int | None = None):
    """Turn a pydantic ValidationError into Problems that name file, position (with line) and field (and the
    event's place, when the input is a list of events)."""
    from .errors import Problem

    problems = []
    seen_fields: set = set()
    for err in exc.errors():
        loc = tuple(part for part in err["loc"] if not _is_union_tag(part) and not _is_branch_label(part))
        field = ".".join(str(p) for p in ((field_prefix,) if field_prefix else ()) + loc) or None
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            tag = err.get("ctx", {}).get("tag")
            expected = err.get("ctx", {}).get("expected_tags")
            message = f"unknown kind {tag!r} (expected one of {expected})"
        elif err["type"] == "union_tag_not_found":
            message = f"missing its '{err.get('ctx', {}).get('discriminator', 'kind').strip(chr(39))}' (required)"
        elif err["type"] == "missing":
            message = "missing (required)"
        elif err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "string_pattern_mismatch":
            message = "a name is lower case: a letter, then letters, digits or '_' (like letters_of_credit)"
        if field in seen_fields:
            continue  # a union reports each branch's failure; the first (the most specific) is enough
        seen_fields.add(field)
        line = located.line(base_path + loc) if located is not None else None
        position = label
        if line is not None:
            position = f"{label} (line {line})" if label else f"line {line}"
        problems.append(Problem(file, position, field, message, event))
    return problems


def _is_branch_label(part) -> bool:
    # pydantic names the branches of a plain union in the location: "function-before[...]", "literal['x']";
    # a field someone wrote with a bracket in it ("col[our") is not one
    return isinstance(part, str) and _BRANCH.match(part) is not None


_BRANCH = re.compile(r"^[a-z][a-z-]*\[.*\]$")


def _is_union_tag(part) -> bool:
    # pydantic puts the discriminator's value in the location of a tagged union; it is not a field.
    return isinstance(part, str) and part in _TAGS


_TAGS: set[str] = set()


def register_tags(*tags: str) -> None:
    _TAGS.update(tags)
