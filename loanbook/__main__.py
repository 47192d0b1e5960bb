"""`loanbook` (and `python -m loanbook`): the command line, its start-up made with the cycle collector paused.

Start-up (the modules a command imports, typer building its commands) makes tens of thousands of objects that live
as long as the process. Looking for cycles among them every 700 allocations while they are made, and once more over
all of them when the interpreter exits, costs a cold start about a sixth of its time (docs/performance.md). So the
collector waits: when the command's work begins, what start-up made is frozen (never looked at again) and
collection goes on as usual (`cli.started`); what is left at exit is frozen too (`cli.main`).
"""
from __future__ import annotations

import gc


def main() -> None:
    gc.disable()  # before the command line's modules load
    from . import cli

    cli.PAUSED.append(True)
    cli.main()


if __name__ == "__main__":
    main()
