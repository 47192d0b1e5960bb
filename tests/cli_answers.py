"""What every refusal of the command line must look like, for the tests that drive it with bad input: the program
never lets an exception escape, and a refusal is exit 2 with one short line on stderr and nothing on stdout."""
from __future__ import annotations

import traceback

MAX_MESSAGE = 2000


def crash(result) -> str:
    """The traceback of an exception the program let escape (CliRunner catches it), or ''."""
    if result.exception is None or isinstance(result.exception, SystemExit):
        return ""
    return "".join(traceback.format_exception(*result.exc_info))


def never_crashed(result) -> None:
    tb = crash(result)
    assert not tb, f"the command raised instead of refusing:\n{tb}"
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr


def refused(result, *expected) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr, which contains every expected piece
    (a tuple: any one of its pieces)."""
    never_crashed(result)
    assert result.exit_code == 2, f"exit {result.exit_code}\nstdout: {result.stdout[:2000]}\nstderr: {result.stderr}"
    assert result.stdout == "", f"stdout should be empty: {result.stdout[:2000]!r}"
    err = result.stderr
    assert err.endswith("\n") and err.count("\n") == 1, f"not exactly one line: {err!r}"
    assert len(err.splitlines()) == 1, f"a line-breaking character in the message: {err!r}"
    assert "\x1b" not in err, f"a raw escape character on stderr: {err!r}"
    assert len(err) < MAX_MESSAGE, f"message of {len(err)} characters"
    for piece in expected:
        options = piece if isinstance(piece, tuple) else (piece,)
        assert any(option in err for option in options), f"{piece!r} not in {err!r}"
    return err
