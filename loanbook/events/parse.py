"""Read events.yaml: every event validated, every problem collected, then all or nothing."""
from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ..core.errors import InputError, Problem
from ..core.types import pydantic_problems
from ..core.yamlio import load_yaml
from .types import EVENT_TYPES, Event

_EVENT = TypeAdapter(Event)


def parse_events(path: Path | str, *, text: str | None = None) -> tuple:
    """Parse an events file into a tuple of events in file order (the engine orders them by date, stably), or raise InputError listing every problem.

    Checks here are those one event can fail alone (types, fields, dates, amounts). Checks that need
    the history (an unknown contingent id, a repayment above principal) are the engine's, which reports
    them with the same event position.
    """
    path = Path(path)
    located = load_yaml(path, text=text)
    data = located.data
    if data is None:
        return ()
    if not isinstance(data, list):
        raise InputError([Problem(str(path), None, None, "expected a list of events")])
    events = []
    problems: list[Problem] = []
    for index, raw in enumerate(data):
        line = located.line((index,))
        label = f"event {index + 1}"
        if not isinstance(raw, dict):
            problems.append(Problem(str(path), f"{label} (line {line})", None, "an event is a mapping of fields"))
            continue
        if raw.get("type") not in EVENT_TYPES:
            field_line = located.line((index, "type"))
            what = "missing (required)" if "type" not in raw else f"unknown event type {raw.get('type')!r}"
            problems.append(Problem(str(path), f"{label} (line {field_line})", "type",
                                    f"{what}; expected one of: {', '.join(EVENT_TYPES)}"))
            continue
        try:
            event = _EVENT.validate_python(raw)
        except ValidationError as exc:
            problems.extend(pydantic_problems(exc, str(path), label=label, located=located, base_path=(index,)))
            continue
        events.append(event.model_copy(update={"source_file": str(path), "index": index, "line": line}))
    if problems:
        raise InputError(problems)
    return tuple(events)
