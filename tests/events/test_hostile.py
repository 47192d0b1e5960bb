"""Hostile and careless input: the CLI refuses it in one line, or answers it, and never does worse.

The requirement: no input makes a command print a traceback, run unbounded, read outside its facility,
or return a figure from input that should have been refused. Bad input exits 2 with ONE line on stderr
that names the file (or the option), the position and the field, and nothing is printed on stdout.

Every case drives the real CLI (typer's CliRunner).
"""
from __future__ import annotations

import builtins
import decimal
import io
import json
import os
import shutil
import signal
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from cli_answers import MAX_MESSAGE, never_crashed, refused
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import loanbook.cli
from conftest import ACME, SEED, facility, flat
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.core.money import parse_money
from loanbook.events.types import EVENT_TYPES

runner = CliRunner()
EVENTS = "hostile-events.yaml"           # the name every --events file of these tests has
SEED_STATUS = ("status", "--as-of", "2002-12-31")
ACME_STATUS = ("status", "--as-of", "2024-02-01")


@pytest.fixture(scope="module", autouse=True)
def _unchanged_examples_load_once():
    """Speed only: the two example folders these tests never change are loaded once (the Agreement is
    immutable); a copied, edited or symlinked folder, and any --reading, goes through the real loader."""
    real = loanbook.cli.load_agreement
    examples = {SEED.resolve(), ACME.resolve()}
    cache: dict = {}

    def load(folder, choices=None, known_at=None):
        path = Path(folder)
        if choices or known_at or path.is_symlink() or path.resolve() not in examples:
            return real(folder, choices, known_at)
        if str(folder) not in cache:
            cache[str(folder)] = real(folder, choices)
        return cache[str(folder)]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loanbook.cli, "load_agreement", load)
        yield


# --- the checks every case makes -------------------------------------------------------------------

class TookTooLong(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` in the program swallows it."""


@contextmanager
def deadline(seconds: float):
    """Fail the test (instead of hanging the suite) if the block runs longer than `seconds`."""
    def ring(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def invoke(args, seconds: float = 20):
    """Run the CLI; a command still running after `seconds` fails the test (it is not left to hang)."""
    try:
        with deadline(seconds):
            return runner.invoke(app, [str(a) for a in args])
    except TookTooLong:
        pass  # fail outside the handler: the deep parser stack is not chained into the report
    pytest.fail(f"the command was still running after {seconds} s: {[str(a)[:60] for a in args]}", pytrace=False)




def answered(result) -> None:
    never_crashed(result)
    assert result.exit_code == 0, f"exit {result.exit_code}\nstderr: {result.stderr}\n{result.stdout[:1000]}"


def with_events(tmp_path: Path, content: str | bytes, *args, facility_dir: Path = SEED, name: str = EVENTS,
                seconds: float = 20):
    """Run a command of the engine with `content` as the --events file."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    args = args or (SEED_STATUS if facility_dir == SEED else ACME_STATUS)
    return invoke([*args, "--facility", facility_dir, "--events", path], seconds=seconds)


def copy_of(source: Path, tmp_path: Path, name: str = "facility") -> Path:
    destination = tmp_path / name
    shutil.copytree(source, destination)
    return destination


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


ACME_DOC = Path("documents") / "loan-agreement.yaml"
ACME_TEXT_LINE = "text_file: loan-agreement.txt"


# === 1. files outside the facility ==================================================================

@pytest.mark.parametrize("text_file", [
    "../../../../etc/passwd",
    "/etc/passwd",
    "/dev/zero",
    "../facility.yaml",
    "sub/../../../../etc/passwd",
    "'C:\\Windows\\win.ini'",
])
def test_text_file_outside_the_folder(tmp_path, text_file):
    folder = copy_of(ACME, tmp_path)
    edit(folder / ACME_DOC, ACME_TEXT_LINE, f"text_file: {text_file}")
    result = invoke(["check", "--facility", folder], seconds=10)
    refused(result, "loan-agreement.yaml", "line 5", "field 'text_file'", "inside the facility folder")


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "documents" / "pipe.txt")
    return "pipe.txt"


def _big(folder: Path) -> str:
    with open(folder / "documents" / "big.txt", "wb") as f:
        f.truncate(5 * 1024 * 1024)
    return "big.txt"


def _latin1(folder: Path) -> str:
    (folder / "documents" / "latin.txt").write_bytes(b"Caf\xe9 agreement\n")
    return "latin.txt"


@pytest.mark.parametrize("make", [
    pytest.param(lambda folder: ".", id="a-folder"),
    pytest.param(lambda folder: "missing.txt", id="missing"),
    pytest.param(_fifo, id="fifo"),
    pytest.param(_big, id="5-MB"),
    pytest.param(_latin1, id="not-utf8"),
])
def test_text_file_inside_the_folder_but_unreadable(tmp_path, make):
    folder = copy_of(ACME, tmp_path)
    name = make(folder)
    edit(folder / ACME_DOC, ACME_TEXT_LINE, f"text_file: {name}")
    result = invoke(["check", "--facility", folder], seconds=10)
    refused(result, "loan-agreement.yaml", "line 5", "field 'text_file'")


def _outside_copy(tmp_path: Path, relative: Path) -> Path:
    outside = tmp_path / "elsewhere" / relative.name
    outside.parent.mkdir(exist_ok=True)
    shutil.copy(ACME / relative, outside)
    return outside


def _link_facility_yaml(folder: Path, tmp_path: Path):
    target = _outside_copy(tmp_path, Path("facility.yaml"))
    (folder / "facility.yaml").unlink()
    (folder / "facility.yaml").symlink_to(target)
    return ["check"], ("facility.yaml", "outside the facility folder")


def _link_documents(folder: Path, tmp_path: Path):
    shutil.move(str(folder / "documents"), str(tmp_path / "elsewhere-documents"))
    (folder / "documents").symlink_to(tmp_path / "elsewhere-documents")
    return ["check"], ("documents", "outside the facility folder")


def _link_document_yaml(folder: Path, tmp_path: Path):
    target = _outside_copy(tmp_path, ACME_DOC)
    (folder / ACME_DOC).unlink()
    (folder / ACME_DOC).symlink_to(target)
    return ["check"], ("loan-agreement.yaml", "outside the facility folder")


def _link_extra_document_to_passwd(folder: Path, tmp_path: Path):
    (folder / "documents" / "evil.yaml").symlink_to("/etc/passwd")
    return ["check"], ("evil.yaml", "outside the facility folder")


def _link_text_file(folder: Path, tmp_path: Path):
    target = _outside_copy(tmp_path, Path("documents") / "loan-agreement.txt")
    (folder / "documents" / "loan-agreement.txt").unlink()
    (folder / "documents" / "loan-agreement.txt").symlink_to(target)
    return ["check"], ("loan-agreement.yaml", "line 5", "field 'text_file'", "outside the facility folder")


def _link_text_file_to_dev_zero(folder: Path, tmp_path: Path):
    (folder / "documents" / "loan-agreement.txt").unlink()
    (folder / "documents" / "loan-agreement.txt").symlink_to("/dev/zero")
    return ["check"], ("loan-agreement.yaml", "field 'text_file'", "outside the facility folder")


def _link_events_yaml(folder: Path, tmp_path: Path):
    target = _outside_copy(tmp_path, Path("events.yaml"))
    (folder / "events.yaml").unlink()
    (folder / "events.yaml").symlink_to(target)
    return list(ACME_STATUS), ("events.yaml", "outside the facility folder")


def _loop_document(folder: Path, tmp_path: Path):
    (folder / "documents" / "loop.yaml").symlink_to(folder / "documents" / "loop.yaml")
    return ["check"], ("loop.yaml",)


def _loop_text_file(folder: Path, tmp_path: Path):
    (folder / "documents" / "loan-agreement.txt").unlink()
    (folder / "documents" / "loan-agreement.txt").symlink_to(folder / "documents" / "loan-agreement.txt")
    return ["check"], ("loan-agreement.yaml", "field 'text_file'")


@pytest.mark.parametrize("make", [
    _link_facility_yaml, _link_documents, _link_document_yaml, _link_extra_document_to_passwd, _link_text_file,
    _link_text_file_to_dev_zero, _link_events_yaml,
    pytest.param(_loop_document),
    pytest.param(_loop_text_file),
])
def test_symlink_out_of_the_folder(tmp_path, make):
    folder = copy_of(ACME, tmp_path)
    command, expected = make(folder, tmp_path)
    result = invoke([*command, "--facility", folder], seconds=10)
    refused(result, *expected)


SECRET = "THE-SECRET-CONTENT-7f3a"


def _secret_as_text_file(folder: Path, secret: Path):
    (folder / "documents" / "loan-agreement.txt").unlink()
    (folder / "documents" / "loan-agreement.txt").symlink_to(secret)


def _secret_by_dotdot(folder: Path, secret: Path):
    edit(folder / ACME_DOC, ACME_TEXT_LINE, "text_file: ../../secret.txt")


def _secret_as_document(folder: Path, secret: Path):
    (folder / "documents" / "secret.yaml").symlink_to(secret)


def _secret_as_facility_yaml(folder: Path, secret: Path):
    (folder / "facility.yaml").unlink()
    (folder / "facility.yaml").symlink_to(secret)


@pytest.mark.parametrize("plant,reads_facility_yaml", [(_secret_as_text_file, True), (_secret_by_dotdot, True),
                                                       (_secret_as_document, True), (_secret_as_facility_yaml, False)])
def test_outside_file_is_never_opened(tmp_path, monkeypatch, plant, reads_facility_yaml):
    secret = tmp_path / "secret.txt"
    secret.write_text(f"id: {SECRET}\n")
    folder = copy_of(ACME, tmp_path)
    plant(folder, secret)
    opened: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def spy_os_open(path, *args, **kwargs):
        opened.append(os.path.realpath(path))
        return real_os_open(path, *args, **kwargs)

    def spy_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            opened.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    result = runner.invoke(app, ["check", "--facility", str(folder)])
    monkeypatch.undo()
    refused(result, ("outside the facility folder", "inside the facility folder"))
    assert str(secret.resolve()) not in opened
    assert SECRET not in result.stderr
    if reads_facility_yaml:  # the spy did see the files the command read
        assert str((folder / "facility.yaml").resolve()) in opened


# === 2. --events that is not a plain, bounded, UTF-8 file ===========================================

def _special(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        path = tmp_path / "events.fifo"
        os.mkfifo(path)
    elif kind == "folder":
        path = tmp_path / "events.d"
        path.mkdir()
    elif kind == "missing":
        path = tmp_path / "no-such-events.yaml"
    elif kind == "sparse":
        path = tmp_path / "sparse-events.yaml"
        with open(path, "wb") as f:
            f.truncate(17 * 1024 * 1024)
    elif kind == "link-to-zero":
        path = tmp_path / "zero-link.yaml"
        path.symlink_to("/dev/zero")
    else:
        path = Path(kind)
    return path


@pytest.mark.parametrize("kind,expected", [
    ("/dev/zero", ("/dev/zero", "not a regular file")),
    ("/dev/urandom", ("/dev/urandom", "not a regular file")),
    ("fifo", ("events.fifo", "not a regular file")),
    ("folder", ("events.d", "folder")),
    ("missing", ("no-such-events.yaml", "no such")),
    ("sparse", ("sparse-events.yaml", "the limit is 16,777,216")),
    ("link-to-zero", ("zero-link.yaml", "not a regular file")),
])
def test_events_file_that_is_not_a_file(tmp_path, kind, expected):
    path = _special(tmp_path, kind)
    started = time.monotonic()
    result = invoke([*SEED_STATUS, "--facility", SEED, "--events", path], seconds=10)
    refused(result, *expected)
    assert time.monotonic() - started < 5




@pytest.mark.parametrize("content,expected", [
    (bytes(range(256)), ("not UTF-8",)),
    (b"- {date: 2002-10-01, type: advance, amount: '1.00', note: caf\xe9}\n", ("not UTF-8", "line 1")),
    ("- {date: 2002-10-01, type: advance, amount: '1.00'}\n".encode("utf-16"), ("not UTF-8",)),
    pytest.param(b"- {date: 2002-10-01, type: advance, amount: '1.00'}\n\x00\n", ("not valid YAML", "line 2"),
                 id="nul-byte"),
    pytest.param(b"- {date: 2002-10-01, type: advance, amount: '1.00', note: \"a\x07b\"}\n",
                 ("not valid YAML", "line 1"), id="bell-character"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', note: a\ufffeb}\n".encode(),
                 ("not valid YAML", "line 1"), id="noncharacter-U+FFFE"),
    (b"\xef\xbb\xbf\xef\xbb\xbf- {date: 2002-10-01}\n", (EVENTS,)),
])
def test_events_file_that_is_not_text(tmp_path, content, expected):
    refused(with_events(tmp_path, content), EVENTS, *expected)


@pytest.mark.parametrize("content", ["", "\n\n", "# nothing happened\n", "[]\n", "~\n", "---\n...\n",
                                     "\ufeff- {date: 2002-10-01, type: prime_rate, rate: '4.75'}\n"])
def test_events_file_with_nothing_bad_is_answered(tmp_path, content):
    answered(with_events(tmp_path, content, "status", "--as-of", "2002-10-15"))


# === 3. numbers in events ===========================================================================

ADVANCE = "- {date: 2002-10-01, type: advance, amount: AMOUNT}\n"
AMOUNT = "field 'amount'"
PLAIN = "not a number written plainly"
AMBIGUOUS = "read differently by different YAML versions"


def _ambiguous(value: str, **kwargs):
    return pytest.param(value, AMBIGUOUS, id=kwargs.get("id", value))


@pytest.mark.parametrize("amount,expected", [
    ("'5000,50'", PLAIN),
    ("'1,0,0'", PLAIN),
    ("'5,00'", PLAIN),
    ("'1,00000.00'", PLAIN),
    _ambiguous("1e400"),
    ("'1e400'", PLAIN),
    ("'1E5'", PLAIN),
    ("123456789012345678901234567890", "out of range"),
    ("'123456789012345678901234567890'", "too many digits"),
    ("'1.123456789012345678901234567890'", "too many digits"),
    _ambiguous(".nan"),
    _ambiguous(".inf"),
    _ambiguous("-.inf"),
    ("'NaN'", PLAIN),
    ("'Infinity'", PLAIN),
    pytest.param("9" * 5000, "not an amount", id="5000-digit-integer"),
    pytest.param("'" + "9" * 5000 + "'", "too many digits", id="5000-digit-string"),
    ("-0.00", "negative zero"),
    ("'-0'", "negative zero"),
    ("'-0.00'", "negative zero"),
    _ambiguous("010000"),
    _ambiguous("0x1000"),
    _ambiguous("1:30"),
    _ambiguous("0o17"),
    _ambiguous("1_000"),
    _ambiguous("0b101"),
    ("'1.005'", "more than 2 decimal places"),
    ("1.005", "more than 2 decimal places"),
    ("'0.001'", "more than 2 decimal places"),
    ("'-5.00'", "must not be negative"),
    ("-5", "must not be negative"),
    ("'1000000000000000.00'", "out of range"),
    ("1000000000000000", "out of range"),
    ("'$1,000,000,000,000,000'", ("out of range", "too many digits")),
    ("true", "decimal number"),
    ("[1, 2]", "must be a number"),
    ("{a: 1}", "must be a number"),
    ("null", "must be a number"),
    ("''", PLAIN),
    ("'1.'", PLAIN),
    ("'12 34'", PLAIN),
    pytest.param("'1\u0665\u0665'", PLAIN, id="arabic-indic-digits"),
])
def test_amount_in_an_event(tmp_path, amount, expected):
    refused(with_events(tmp_path, ADVANCE.replace("AMOUNT", amount)), EVENTS, "event 1", "line 1", AMOUNT, expected)


@pytest.mark.parametrize("rate,expected", [
    ("'1000'", "out of range"),
    ("'8.1234567'", "more than 6 decimal places"),
    ("'-1'", "must not be negative"),
    ("'8%'", PLAIN),
    ("'4,75'", PLAIN),
])
def test_rate_in_an_event(tmp_path, rate, expected):
    result = with_events(tmp_path, f"- {{date: 2002-10-01, type: prime_rate, rate: {rate}}}\n")
    refused(result, EVENTS, "event 1", "field 'rate'", expected)


@pytest.mark.parametrize("amount,expected", [
    ("5,00", PLAIN),
    ("5000,50", PLAIN),
    ("1,0,0", PLAIN),
    ("1e3", PLAIN),
    ("nan", PLAIN),
    ("Infinity", PLAIN),
    ("-0", "negative zero"),
    ("-5", "must not be negative"),
    ("0.001", "more than 2 decimal places"),
    ("9" * 5000, "too many digits"),
    ("1000000000000000", "out of range"),
    ("", PLAIN),
    (" ", PLAIN),
    ("0x10", PLAIN),
    ("1_000", PLAIN),
    ("0", "more than zero"),
    ("0.00", "more than zero"),
    pytest.param("\uff15\uff10\uff10\uff10", PLAIN, id="fullwidth-digits"),
])
def test_amount_option(amount, expected):
    result = invoke(["advance", "--facility", SEED, "--on", "2002-10-15", f"--amount={amount}"])
    refused(result, "--amount", expected)


# === 4. YAML structure ==============================================================================

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]) + "\n"


@pytest.mark.parametrize("content,expected", [
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', amount: '2.00'}\n",
                 ("line 1", "field 'amount'", "repeated key"), id="repeated-key"),
    pytest.param("- date: 2002-10-01\n  type: advance\n  amount: '1.00'\n  type: repayment\n",
                 ("line 4", "field 'type'", "repeated key"), id="repeated-key-block"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: !!python/object/apply:os.system ['true']}\n",
                 ("line 1", AMOUNT, "tags"), id="python-object-apply"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: !!binary MTAwMC4wMA==}\n",
                 ("line 1", AMOUNT, "tags"), id="binary"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: !money '1.00'}\n",
                 ("line 1", AMOUNT, "tags"), id="custom-tag"),
    pytest.param("- !!python/object/new:os.system [true]\n", ("line 1", "tags"), id="tagged-event"),
    pytest.param(BILLION_LAUGHS, ("alias",), id="billion-laughs"),
    pytest.param("- &a [*a]\n", ("line 1", "itself"), id="self-referencing-anchor"),
    pytest.param("- &a {date: 2002-10-01, type: advance, amount: '1.00', note: *a}\n", ("line 1", "itself"),
                 id="self-referencing-mapping"),
    pytest.param("- &x {date: 2002-10-01, type: prime_rate, rate: '4.75'}\n" + "- *x\n" * 101, ("aliases",),
                 id="101-aliases"),
    pytest.param("- " + "[" * 5000 + "]" * 5000 + "\n", ("nested more than", "line 1"), id="5000-nested-lists"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', note: " + "{a: " * 5000 + "x"
                 + "}" * 5000 + "}\n", ("nested more than", "line 1"), id="5000-nested-mappings"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00'\n", ("not valid YAML", "line 2"),
                 id="unclosed-flow-mapping"),
    pytest.param("- date: 2002-10-01\n type: advance\n", ("not valid YAML", "line 2"), id="bad-indentation"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: \"1.00}\n", ("not valid YAML", "line"),
                 id="unclosed-quote"),
    pytest.param("\t- {date: 2002-10-01}\n", ("not valid YAML", "line 1"), id="tab-indentation"),
    pytest.param("- {date: 2002-10-01, type: prime_rate, rate: '4.75'}\n---\n- {date: 2002-10-02}\n",
                 ("not valid YAML", "line"), id="two-documents"),
    pytest.param("date: 2002-10-01\ntype: advance\namount: '1.00'\n", ("a list of events",),
                 id="top-level-mapping"),
    pytest.param("advance 5000 on 2002-10-01\n", ("a list of events",), id="top-level-string"),
    pytest.param("- advance 5000 on 2002-10-01\n", ("event 1", "line 1", "mapping of fields"),
                 id="event-is-a-string"),
    pytest.param("- [2002-10-01, advance, '1.00']\n", ("event 1", "line 1", "mapping of fields"),
                 id="event-is-a-list"),
    pytest.param("- {date: 2002-10-24, type: document_delivered, document: auction_agreement, accepted: yes}\n",
                 ("line 1", "field 'accepted'", AMBIGUOUS), id="accepted-yes"),
    pytest.param("- {date: 2002-10-24, type: document_delivered, document: auction_agreement, accepted: 'yes'}\n",
                 ("line 1", "field 'accepted'"), id="accepted-quoted-yes"),
    pytest.param("- {date: 2002-10-24, type: document_delivered, document: auction_agreement, accepted: 'off'}\n",
                 ("line 1", "field 'accepted'"), id="accepted-quoted-off"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', ? [a, b] : c}\n",
                 ("line 1", "plain name"), id="complex-key"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', 1: x}\n", ("line 1", "'1'"),
                 id="numeric-key"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', null: x}\n", ("line 1", "event 1"),
                 id="null-key"),
    pytest.param("- &base {date: 2002-10-01, type: prime_rate, rate: '4.75'}\n- {<<: *base, date: 2002-10-02}\n",
                 ("event 2", "merge keys"), id="merge-key"),
])
def test_yaml_structure(tmp_path, content, expected):
    started = time.monotonic()
    refused(with_events(tmp_path, content, seconds=15), EVENTS, *expected)
    assert time.monotonic() - started < 10


def test_python_tag_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    content = f"- {{date: 2002-10-01, type: advance, amount: !!python/object/apply:os.system ['touch {marker}']}}\n"
    result = with_events(tmp_path, content)
    refused(result, EVENTS, "tags")
    assert not marker.exists()



def test_many_deep_nests_are_bounded(tmp_path):
    nest = "[" * 300 + "]" * 300
    content = "- [" + ", ".join([nest] * 850) + "]\n"
    assert len(content) > 500_000
    refused(with_events(tmp_path, content, seconds=4), EVENTS)


# === 5. dates =======================================================================================

@pytest.mark.parametrize("value,expected", [
    ("0001-01-01", "outside the dates loanbook keeps"),
    ("9999-12-31", "outside the dates loanbook keeps"),
    ("2002-02-30", "not a real date"),
    ("'2002-1-5'", "ISO date"),
    ("2002-10-01T10:00:00", "ISO date"),
    ("20021001", "ISO date"),
    ("'01/10/2002'", "ISO date"),
    ("null", "ISO date"),
    ("[2002, 10, 1]", "ISO date"),
])
def test_event_date(tmp_path, value, expected):
    result = with_events(tmp_path, f"- {{date: {value}, type: advance, amount: '1.00'}}\n")
    refused(result, EVENTS, "event 1", "line 1", "field 'date'", expected)


@pytest.mark.parametrize("value,expected", [
    ("garbage", "ISO date-time"),
    ("'2002-10-01T25:00:00'", "not a real date and time"),
    ("'2002-10-01T10:00:00+24:00'", "not a real date and time"),
    ("'9999-12-31T23:00:00'", "outside the dates loanbook keeps"),
    pytest.param("'0001-01-01T00:00:00+01:00'", "outside the dates loanbook keeps", id="year-1-east-of-utc"),
])
def test_event_recorded_at(tmp_path, value, expected):
    result = with_events(tmp_path, f"- {{date: 2002-10-01, type: advance, amount: '1.00', recorded_at: {value}}}\n")
    refused(result, EVENTS, "event 1", "line 1", "field 'recorded_at'", expected)


@pytest.mark.parametrize("args,expected", [
    (("advance", "--on", "0001-01-01", "--amount", "1.00"), ("--on", "1901-01-01")),
    (("advance", "--on", "2002-10-15 ", "--amount", "1.00", "--known-at", "x"), ("--known-at",)),
    (("status", "--as-of", "9999-12-31"), ("--as-of", "2199-12-31")),
    (("status", "--as-of", "2002-10-15T00:00:00"), ("--as-of", "ISO date")),
    (("status", "--as-of", "15/10/2002"), ("--as-of", "ISO date")),
    (("status", "--as-of", ""), ("--as-of",)),
    (("fees", "--as-of", "2002-02-29"), ("--as-of", "not a real date")),
    (("status", "--as-of", "2002-10-15", "--known-at", "garbage"), ("--known-at", "ISO date-time")),
    (("status", "--as-of", "2002-10-15", "--known-at", "2002-13-01"), ("--known-at",)),
    (("status", "--as-of", "2002-10-15", "--known-at", "2002-10-15T10:00:00+25:00"), ("--known-at",)),
    pytest.param(("status", "--as-of", "2002-10-15", "--known-at", "0001-01-01T00:00:00+01:00"), ("--known-at",),
                 id="known-at-year-1-east-of-utc"),
    pytest.param(("status", "--as-of", "2002-10-15", "--known-at", "9999-12-31T23:59:59-01:00"), ("--known-at",),
                 id="known-at-year-9999-west-of-utc"),
    (("timeline", "--from", "2002-10-01", "--to", "9999-12-31"), ("--to", "2199-12-31")),
    (("timeline", "--from", "2002-10-01", "--to", "2199-12-31"), ("--from", "3,660 days")),
    (("timeline", "--from", "1901-01-01", "--to", "2199-12-31"), ("--from", "3,660 days")),
    (("timeline", "--from", "2002-10-02", "--to", "2002-10-01"), ("--to", "before")),
    (("interest", "--from", "1950-01-01", "--to", "2150-12-31"), ("--from", "18,600 days")),
    (("interest", "--from", "0001-01-01", "--to", "2002-12-31"), ("--from", "1901-01-01")),
])
def test_date_options(args, expected):
    started = time.monotonic()
    refused(invoke([*args, "--facility", SEED], seconds=10), *expected)
    assert time.monotonic() - started < 5


def test_known_at_with_a_time_zone_works():
    base = ["status", "--facility", SEED, "--as-of", "2002-10-30", "--json"]  # after Amendment 10 was recorded
    zoned = invoke([*base, "--known-at", "2002-10-28T10:00:00+02:00"])
    utc = invoke([*base, "--known-at", "2002-10-28T08:00:00Z"])
    answered(zoned)
    answered(utc)
    assert json.loads(zoned.stdout) == json.loads(utc.stdout)


# === 6. history rules (the seed facility) ===========================================================

OPEN = "- {date: 2002-10-01, type: opening_balance, loan: advances, amount: '360000.00'}\n"
LC = "- {date: 2002-10-01, type: contingent_issued, kind: letter_of_credit, id: LC-1, amount: '1000.00'}\n"


@pytest.mark.parametrize("content,expected", [
    pytest.param(OPEN + "- {date: 2002-10-11, type: interest_payment, amount: '500.00'}\n"
                        "- {date: 2002-10-12, type: interest_payment, amount: '500.00'}\n",
                 ("event 3 (line 3)", AMOUNT, "407.50", "earlier interest payments"), id="interest-paid-twice"),
    pytest.param("- {date: 2002-10-02, type: interest_payment, amount: '0.01'}\n",
                 ("event 1 (line 1)", AMOUNT, "interest"), id="interest-with-no-loan"),
    pytest.param(OPEN + "- {date: 2002-10-21, type: repayment, loan: advances, amount: '360000.01'}\n",
                 ("event 2 (line 2)", AMOUNT, "repays"), id="repayment-above-balance"),
    pytest.param(OPEN + "- {date: 2002-10-21, type: repayment, loan: term_loan, amount: '1.00'}\n",
                 ("event 2 (line 2)", AMOUNT, "repays"), id="repayment-of-an-empty-tranche"),
    pytest.param("- {date: 2002-10-01, type: contingent_closed, id: LC-7}\n",
                 ("event 1 (line 1)", "field 'id'", "closes 'LC-7'"), id="close-never-issued"),
    pytest.param(LC + "- {date: 2002-10-02, type: contingent_closed, id: LC-1}\n"
                      "- {date: 2002-10-03, type: contingent_closed, id: LC-1}\n",
                 ("event 3 (line 3)", "field 'id'", "closes 'LC-1'"), id="close-twice"),
    pytest.param(LC + LC.replace("2002-10-01", "2002-10-05"),
                 ("event 2 (line 2)", "field 'id'", "already used"), id="issue-same-id-twice"),
    pytest.param("- {date: 2002-10-01, type: advance, id: A-1, amount: '1.00'}\n"
                 "- {date: 2002-10-02, type: advance, id: A-1, amount: '1.00'}\n",
                 ("event 2 (line 2)", "field 'id'", "already used"), id="duplicate-event-ids"),
    pytest.param("- {date: 2002-10-01, type: borrowing_base_report, receivables_borrowing_base: '1.00'}\n"
                 "- {date: 2002-10-02, type: opening_balance, loan: advances, amount: '1.00'}\n",
                 ("event 2 (line 2)", "field 'date'", "opening balance"), id="late-opening-balance"),
    pytest.param(OPEN + OPEN, ("event 2 (line 2)", "field 'loan'", "already has an opening balance"),
                 id="two-opening-balances"),
    pytest.param("- {date: 2002-10-01, type: paid_in_full}\n",
                 ("event 1 (line 1)", "field 'type'", "still owed", "fees"), id="paid-in-full-fees-due"),
    pytest.param(OPEN + "- {date: 2002-10-02, type: paid_in_full}\n",
                 ("event 2 (line 2)", "field 'type'", "still owed", "principal"), id="paid-in-full-principal-due"),
    pytest.param("- {date: 2002-10-01, type: expense_demanded, amount: '100.00', description: review}\n"
                 "- {date: 2002-10-02, type: expense_payment, amount: '100.01'}\n",
                 ("event 2 (line 2)", AMOUNT, "demanded"), id="expense-payment-above-demanded"),
    pytest.param("- {date: 2002-10-02, type: expense_payment, amount: '5.00'}\n",
                 ("event 1 (line 1)", AMOUNT, "demanded"), id="expense-payment-nothing-demanded"),
    pytest.param("- {date: 2002-10-02, type: expense_payment, amount: '5.00'}\n"
                 "- {date: 2002-10-01, type: expense_demanded, amount: '100.00', description: review}\n"
                 "- {date: 2002-10-03, type: expense_payment, amount: '96.00'}\n",
                 ("event 3 (line 3)", AMOUNT, "demanded"), id="expense-payments-out-of-file-order"),
])
def test_history_rules(tmp_path, content, expected):
    refused(with_events(tmp_path, content), EVENTS, *expected)


def test_each_interest_payment_alone_is_accepted(tmp_path):
    """The control for interest-paid-twice: either payment alone is within what is accrued."""
    for day in ("2002-10-11", "2002-10-12"):
        answered(with_events(tmp_path, OPEN + f"- {{date: {day}, type: interest_payment, amount: '500.00'}}\n",
                             "status", "--as-of", "2002-10-15"))


# === 7. names ======================================================================================



@pytest.mark.parametrize("content,expected", [
    ("- {date: 2002-10-01, type: advence, amount: '1.00'}\n", ("field 'type'", "unknown event type")),
    ("- {date: 2002-10-01, type: ADVANCE, amount: '1.00'}\n", ("field 'type'", "unknown event type")),
    ("- {date: 2002-10-01, amount: '1.00'}\n", ("field 'type'", "missing")),
    ("- {date: 2002-10-01, type: [advance], amount: '1.00'}\n", ("field 'type'", "unknown event type")),
    ("- {date: 2002-10-01, type: advance, loan: revolver, amount: '1.00'}\n", ("field 'loan'", "revolver")),
    ("- {date: 2002-10-01, type: repayment, loan: revolver, amount: '1.00'}\n", ("field 'loan'", "revolver")),
    ("- {date: 2002-10-01, type: advance, loan: Advances, amount: '1.00'}\n", ("field 'loan'",)),
    ("- {date: 2002-10-01, type: borrowing_base_report, values: {inventory: '1.00'}}\n",
     ("field 'values.inventory'", "inventory")),
    ("- {date: 2002-10-01, type: borrowing_base_report, values: {}}\n", ("values",)),
    ("- {date: 2002-10-01, type: contingent_issued, kind: surety_bond, id: SB-1, amount: '1.00'}\n",
     ("field 'kind'", "surety_bond")),
    ("- {date: 2002-10-01, type: document_delivered, document: deed}\n", ("field 'document'", "deed")),
    ("- {date: 2002-10-01, type: amendment_executed, amendment: amendment-99}\n",
     ("field 'amendment'", "amendment-99")),
    pytest.param("- {date: 2002-10-01, type: measure_reported, measure: leverage, value: '1.00'}\n",
                 ("field 'measure'", "leverage"), id="unknown-measure"),
    ("- {date: 2002-10-01, type: borrowing_base_report, receivables_borrowing_base: '1.00', "
     "measures: {leverage: '1'}}\n", ("field 'measures.leverage'", "leverage")),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', source_file: /etc/passwd}\n",
     ("field 'source_file'", "unknown field")),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', key: advance@2002-10-01#1}\n",
     ("field 'key'", "unknown field")),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', index: 5}\n", ("field 'index'", "unknown field")),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', line: 99}\n", ("field 'line'", "unknown field")),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', colour: red}\n", ("field 'colour'", "unknown field")),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', 'col[our': red}\n",
                 ("field 'col[our'", "unknown field"), id="bracket-in-unknown-field"),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', id: 'a b'}\n", ("field 'id'",)),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', id: " + "x" * 81 + "}\n", ("field 'id'",)),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', note: " + "n" * 20_001 + "}\n", ("field 'note'",)),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', illustrative: maybe}\n", ("field 'illustrative'",)),
])
def test_unknown_and_internal_names(tmp_path, content, expected):
    refused(with_events(tmp_path, content), EVENTS, "event 1", "line 1", *expected)


@pytest.mark.parametrize("content,raw,escaped", [
    ('- {date: 2002-10-01, type: advance, "amo\\nunt": "1.00"}\n', "amo\nunt", "amo\\nunt"),
    pytest.param('- {date: 2002-10-01, type: advance, amount: "1.00", "\\e[31mred\\e[0m": x}\n', "\x1b", "\\x1b[31mred",
                 id="ansi-key"),
    ('- {date: 2002-10-01, type: "\\e[2J\\e[H", amount: "1.00"}\n', "\x1b", "\\x1b[2J"),
    ('- {date: 2002-10-01, type: advance, amount: "1.00", "evil\\u202ename": x}\n', "\u202e", "\\u202e"),
    ('- {date: 2002-10-01, type: advance, amount: "1.00", "one\\Ltwo": x}\n', "\u2028", "\\u2028"),
    ('- {date: 2002-10-01, type: advance, amount: "1.00", "one\\rtwo": x}\n', "\r", "\\r"),
    ('- {date: 2002-10-01, type: advance, amount: "1.\\n00"}\n', "1.\n00", "1.\\n00"),
])
def test_control_characters_in_names_are_escaped(tmp_path, content, raw, escaped):
    err = refused(with_events(tmp_path, content), EVENTS, "event 1", "line 1")
    assert raw not in err
    assert escaped in err


@pytest.mark.parametrize("args,expected", [
    (("advance", "--on", "2002-10-15", "--amount", "\x1b[2J1.00"), ("--amount", "\\x1b[2J")),
    (("status", "--as-of", "\x1b[2J"), ("--as-of", "\\x1b[2J")),
    (("status", "--as-of", "2002-10-15", "--reading", "I-2=\x1b[2J\nnext"), ("--reading", "\\x1b[2J\\nnext")),
    (("status", "--as-of", "2002-10-15", "--known-at", "\x1b[31m\u2028"), ("--known-at", "\\x1b[31m\\u2028")),
    (("explain", "\x1b[2Jfigure\n", "--as-of", "2002-10-15"), ("unknown figure", "\\x1b[2Jfigure\\n")),
    (("history", "--clause", "\x1b[2J\r\n"), ("--clause", "\\x1b[2J\\r\\n")),
])
def test_control_characters_in_options_are_escaped(args, expected):
    refused(invoke([*args, "--facility", SEED]), *expected)


def test_control_characters_in_the_events_file_name(tmp_path):
    result = with_events(tmp_path, "- {date: 2002-10-01, type: advence}\n", name="ev\nil\x1b[2J.yaml")
    err = refused(result, "ev\\nil\\x1b[2J.yaml", "field 'type'")
    assert "\x1b" not in err


# === 8. terminal safety ============================================================================

MARKUP = "[bold red]X[/]"
LINK = "[link=http://x]y[/link]"


def test_markup_in_the_facility_name_is_printed_literally(tmp_path):
    folder = copy_of(ACME, tmp_path)
    edit(folder / "facility.yaml", "name: Acme Corp. revolving facility (First Bank, Agent)", f"name: '{MARKUP}'")
    result = invoke([*ACME_STATUS, "--facility", folder])
    answered(result)
    assert MARKUP in result.stdout


def test_markup_in_a_collateral_label_is_printed_literally(tmp_path):
    folder = copy_of(ACME, tmp_path)
    edit(folder / "facility.yaml", "label: Eligible Receivables}", f"label: '{LINK}'}}")
    result = invoke([*ACME_STATUS, "--facility", folder])
    answered(result)
    assert LINK in result.stdout


@pytest.mark.parametrize("command", [ACME_STATUS, ("obligations", "--as-of", "2024-02-01")])
def test_markup_in_a_condition_is_printed_literally(tmp_path, command):
    folder = copy_of(ACME, tmp_path)
    edit(folder / ACME_DOC, "operations:\n",
         f"conditions:\n  - {{id: c1, clause: A.1, text: '{MARKUP} {LINK}', satisfied_by: {{event: "
         "amendment_executed}}\noperations:\n")
    result = invoke([*command, "--facility", folder])
    answered(result)
    assert MARKUP in result.stdout and LINK in result.stdout


@pytest.mark.parametrize("command", [ACME_STATUS, ("obligations", "--as-of", "2024-02-01"),
                                     ("conformed", "--as-of", "2024-05-01"), ("payoff", "--on", "2024-02-01")])
def test_markup_in_a_party_name_does_not_break_the_output(tmp_path, command):
    """No human output shows a party's name today; a name full of markup must still never break one."""
    folder = copy_of(ACME, tmp_path)
    edit(folder / "facility.yaml", "{id: acme, name: Acme Corp.,", f"{{id: acme, name: '[/] {MARKUP} {LINK}',")
    answered(invoke([*command, "--facility", folder]))


def test_names_in_html_are_escaped_and_markup_is_literal(tmp_path):
    folder = copy_of(ACME, tmp_path)
    edit(folder / "facility.yaml", "name: Acme Corp. revolving facility (First Bank, Agent)",
         f"name: '<script>alert(1)</script> {MARKUP}'")
    edit(folder / "documents" / "amendment-1.yaml", "title: Amendment No. 1", "title: '<img src=x onerror=alert(1)>'")
    html = invoke(["conformed", "--as-of", "2024-05-01", "--format", "html", "--facility", folder])
    answered(html)
    assert "<script>alert" not in html.stdout and "<img src=x" not in html.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.stdout and MARKUP in html.stdout
    markdown = invoke(["conformed", "--as-of", "2024-05-01", "--facility", folder])
    answered(markdown)
    assert MARKUP in markdown.stdout


def test_markup_in_an_event_note_does_not_break_the_output(tmp_path):
    content = ("- {date: 2024-01-02, type: borrowing_base_report, receivables_borrowing_base: '1000000.00', "
               f"note: '[/] {MARKUP} {LINK}'}}\n"
               "- {date: 2024-01-02, type: advance, amount: '500000.00', note: '[/]'}\n"
               "- {date: 2024-01-02, type: prime_rate, rate: '8.50', note: '[bold'}\n")
    result = with_events(tmp_path, content, facility_dir=ACME)
    answered(result)
    plain = invoke([*ACME_STATUS, "--facility", ACME])
    assert result.stdout == plain.stdout


def test_markup_in_the_events_file_name_is_printed_literally(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "[bold red]e.yaml"
    (tmp_path / name).write_text("- {date: 2024-01-02, type: borrowing_base_report, "
                                 "receivables_borrowing_base: '1000000.00'}\n")
    result = invoke(["explain", "eligible_receivables", "--as-of", "2024-02-01", "--facility", ACME,
                     "--events", name])
    answered(result)
    assert name in result.stdout


def test_markup_in_the_events_file_name_in_a_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "[link=http:x]e.yaml"
    (tmp_path / name).write_text("- {date: 2002-10-24, type: document_delivered, document: auction_agreement}\n")
    result = invoke(["obligations", "--as-of", "2002-11-01", "--facility", SEED, "--events", name])
    answered(result)
    assert name in result.stdout


# === 9. big input ==================================================================================

def test_fifty_megabytes_of_events_are_refused_fast(tmp_path):
    line = "- {date: 2002-10-01, type: prime_rate, rate: '4.75', id: P-%08d}\n"
    count = 50 * 1024 * 1024 // len(line % 0) + 1
    path = tmp_path / EVENTS
    with open(path, "w", encoding="utf-8") as f:
        for start in range(0, count, 100_000):
            f.write("".join(line % i for i in range(start, min(start + 100_000, count))))
    assert path.stat().st_size >= 50 * 1024 * 1024
    started = time.monotonic()
    result = invoke([*SEED_STATUS, "--facility", SEED, "--events", path], seconds=10)
    elapsed = time.monotonic() - started
    refused(result, EVENTS, "the limit is 16,777,216")
    assert elapsed < 5, f"{elapsed:.1f} s"


@pytest.mark.parametrize("content", [
    pytest.param("x" * 4_000_000 + ": [\n", id="4-MB-scalar-then-error"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', note: '" + "y" * 1_000_000 + "\n",
                 id="1-MB-unclosed-quote"),
    pytest.param("- {date: 2002-10-01, type: '" + "t" * 1_000_000 + "'}\n", id="1-MB-unknown-type"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '1.00', " + "k" * 1_000_000 + ": x}\n",
                 id="1-MB-unknown-field"),
    pytest.param("- {date: 2002-10-01, type: advance, amount: '" + "9" * 1_000_000 + "'}\n",
                 id="1-MB-amount"),
])
def test_megabytes_of_one_bad_value_give_a_short_line(tmp_path, content):
    started = time.monotonic()
    err = refused(with_events(tmp_path, content, seconds=20), EVENTS, ("line 1", "line 2"))
    assert len(err) < MAX_MESSAGE
    assert time.monotonic() - started < 15



def test_many_problems_make_one_short_line(tmp_path):
    content = "".join(f"- {{date: 2002-10-01, type: advence{i}}}\n" for i in range(2000))
    err = refused(with_events(tmp_path, content), EVENTS, "event 1 (line 1)", "more problems")
    assert len(err) < MAX_MESSAGE


# === 10. clause text ===============================================================================

def test_acme_check_passes_before_the_edit():
    answered(invoke(["check", "--facility", ACME]))


def test_impossible_date_in_clause_text_is_a_difference(tmp_path):
    folder = copy_of(ACME, tmp_path)
    old = "3. Term. The term ends on December 31, 2024."
    new = "3. Term. The term ends on December 31, 2024, or on February 30, 2002."
    edit(folder / ACME_DOC, old, new)
    edit(folder / "documents" / "loan-agreement.txt", old, new)
    result = invoke(["check", "--facility", folder])
    never_crashed(result)
    assert result.exit_code == 1, f"exit {result.exit_code}: {result.stderr}{result.stdout[-2000:]}"
    assert "February 30" in result.stdout


@pytest.mark.parametrize("phrase", ["on 2/30/02", "on 13/45/02", "of $1,0,0", "of 1e400%"])
def test_odd_numbers_in_clause_text_never_crash(tmp_path, phrase):
    folder = copy_of(ACME, tmp_path)
    old = "3. Term. The term ends on December 31, 2024."
    new = f"3. Term. The term ends on December 31, 2024, or {phrase}."
    edit(folder / ACME_DOC, old, new)
    edit(folder / "documents" / "loan-agreement.txt", old, new)
    result = invoke(["check", "--facility", folder])
    never_crashed(result)
    assert result.exit_code in (0, 1)


# === 11. the caller's decimal context =============================================================

SEED_HISTORY = [
    {"date": "2002-10-01", "type": "opening_balance", "loan": "advances", "amount": "1250000.00"},
    {"date": "2002-10-01", "type": "opening_balance", "loan": "term_loan", "amount": "1500000.00"},
    {"date": "2002-10-01", "type": "borrowing_base_report", "receivables_borrowing_base": "1400000.00"},
    {"date": "2002-10-01", "type": "term_loan_reserve", "amount": "250000.00"},
    {"date": "2002-10-01", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
     "amount": "60000.00"},
    {"date": "2002-10-08", "type": "advance", "amount": "100000.33"},
    {"date": "2002-10-14", "type": "interest_payment", "amount": "1234.57"},
]


@contextmanager
def careless_context():
    saved = decimal.getcontext().copy()
    context = decimal.getcontext()
    context.prec = 3
    context.rounding = decimal.ROUND_FLOOR
    try:
        yield
    finally:
        decimal.setcontext(saved)


@pytest.fixture(scope="module")
def seed_agreement():
    return load_agreement(SEED)


def test_decimal_context_does_not_change_the_engine(seed_agreement):
    day = date(2002, 10, 20)
    expected = flat(facility(seed_agreement, SEED_HISTORY).status(day))
    with careless_context():
        status = facility(seed_agreement, SEED_HISTORY).status(day)
    assert decimal.getcontext().prec != 3
    assert flat(status) == expected
    assert expected["interest_accrued_unpaid"] != Decimal(0)



def test_decimal_context_does_not_change_the_figures_as_printed(seed_agreement):
    day = date(2002, 10, 20)
    expected = flat(facility(seed_agreement, SEED_HISTORY).status(day))
    with careless_context():
        got = flat(facility(seed_agreement, SEED_HISTORY).status(day))
    assert got == expected



def test_decimal_context_does_not_change_the_cli():
    args = ["status", "--facility", SEED, "--as-of", "2002-10-15", "--json"]
    expected = invoke(args)
    answered(expected)
    with careless_context():
        got = invoke(args)
    answered(got)
    assert json.loads(got.stdout) == json.loads(expected.stdout)


# === 12. xlsx agings ===============================================================================
# A workbook is a zip of XML parts, checked before the reader (calamine) parses any: no DTD, no part inflating
# past the aging file's limit, no sheet spanning more cells than a reader can hold as a grid.

AGING_CSV = SEED / "agings" / "aging-2002-12-16.csv"
SHEET = "xl/worksheets/sheet1.xml"


def aging_xlsx(path: Path, edits: dict | None = None) -> Path:
    """The seed's aging as a workbook (openpyxl), with some parts' XML replaced by `edits[part](xml)`."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    for line in AGING_CSV.read_text().splitlines():
        book.active.append(line.split(","))
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            xml = source.read(part)
            target.writestr(part.filename, (edits or {}).get(part.filename, lambda x: x)(xml))
    return path


def bbc_aging(path: Path, seconds: float = 30):
    return invoke(["bbc", "compute", "--facility", SEED, "--aging", path, "--as-of", "2002-12-16"], seconds=seconds)


def with_dtd(dtd: bytes):
    """The part's XML with `dtd` after its declaration, and `&e;` (when the DTD defines it) in its root."""
    def edit(xml: bytes) -> bytes:
        head, rest = xml.split(b"?>", 1) if xml.startswith(b"<?xml") else (b"", xml)
        return (head + b"?>" if head else b"") + dtd + rest
    return edit


LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>')


@pytest.mark.parametrize("part, dtd", [
    pytest.param(SHEET, LAUGHS, id="billion-laughs-in-the-sheet"),
    pytest.param("xl/workbook.xml", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', id="external-entity"),
    pytest.param("[Content_Types].xml", b"<!doctype types>", id="lowercase-doctype"),
    pytest.param("xl/styles.xml", b'<!ENTITY e "x">', id="entity-without-doctype"),
    pytest.param("docProps/core.xml", b"<!DOCTYPE x>", id="a-part-no-reader-needs"),
])
def test_xlsx_with_a_dtd_is_refused_naming_the_part(tmp_path, part, dtd):
    aging = aging_xlsx(tmp_path / "aging.xlsx", {part: with_dtd(dtd)})
    refused(bbc_aging(aging), "aging.xlsx", f"part {part}", "holds a DTD")


def test_xlsx_without_a_dtd_is_answered(tmp_path):
    answered(bbc_aging(aging_xlsx(tmp_path / "aging.xlsx")))


def _declared_size(path: Path, part: str, size: int) -> None:
    """Write `size` as the part's inflated size in the zip's central directory (what a reader believes)."""
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(part.encode()))
    data[entry + 24:entry + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_xlsx_whose_parts_say_they_inflate_past_the_limit_is_refused(tmp_path):
    aging = aging_xlsx(tmp_path / "aging.xlsx")
    _declared_size(aging, SHEET, 3 * 2**30)
    refused(bbc_aging(aging), "aging.xlsx", "its parts inflate to 3,221,", "bytes; the limit is 2,147,483,648")


def test_xlsx_whose_part_inflates_past_what_it_says_is_refused(tmp_path):
    """A part that says it is 100 bytes and inflates to more is not read on."""
    aging = aging_xlsx(tmp_path / "aging.xlsx")
    _declared_size(aging, SHEET, 100)
    refused(bbc_aging(aging), "aging.xlsx", f"part {SHEET}", "cannot be inflated")


def test_xlsx_sheet_inflating_a_hundredfold_within_the_limit_is_read_in_seconds(tmp_path):
    """40 MB of spaces in a sheet's XML, from a zip of under 1 MB: within the limit, read, and quickly; past the
    limit the parts are refused as they inflate (above)."""
    padding = b" " * (40 * 2**20)
    aging = aging_xlsx(tmp_path / "aging.xlsx", {SHEET: lambda xml: xml.replace(b"<sheetData>", padding +
                                                                                  b"<sheetData>")})
    assert aging.stat().st_size < 2**20
    started = time.monotonic()
    answered(bbc_aging(aging))
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("cells, expected", [
    pytest.param(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "1,048,576 rows by 16,384 columns",
                 id="A1-and-XFD1048576"),
    pytest.param(b'<row r="2"><c r="AAA2"><v>1</v></c></row><row r="900000"><c r="A900000"><v>1</v></c></row>',
                 "900,000 rows by 703 columns", id="a-wide-cell-then-a-far-row"),
    pytest.param(b'<row r="2">' + b"<c><v>1</v></c>" * 2000 + b'</row><row r="999999"><c r="A999999"><v>1</v></c>'
                 b"</row>", "999,999 rows by 2,000 columns", id="cells-placed-by-counting"),
    pytest.param(b'<row r="3"><c r="A3"><v>1</v></c></row><row r="99999999"><c r="A99999999"><v>1</v></c></row>',
                 "99,999,999 rows", id="a-row-past-excel-s-last"),
])
def test_xlsx_whose_cells_span_a_grid_too_large_to_hold_is_refused(tmp_path, cells, expected):
    """The reader holds a sheet as a grid from its first cell to its last: two cells far apart, in a few kB, would
    have it ask for hundreds of gigabytes and end the process (no traceback: the process is gone)."""
    aging = aging_xlsx(tmp_path / "aging.xlsx", {SHEET: lambda xml: xml.replace(b"</sheetData>",
                                                                                 cells + b"</sheetData>")})
    refused(bbc_aging(aging), "aging.xlsx", f"part {SHEET}", "its cells span", expected)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04" + bytes(100), bytes(range(256)) * 10,
                                     b"debtor_id,amount\n"])
def test_xlsx_that_is_not_a_workbook_is_refused(tmp_path, content):
    path = tmp_path / "aging.xlsx"
    path.write_bytes(content)
    refused(bbc_aging(path), "aging.xlsx", "not a readable Excel workbook")


def test_xlsx_cut_short_is_refused(tmp_path):
    aging = aging_xlsx(tmp_path / "aging.xlsx")
    aging.write_bytes(aging.read_bytes()[:-200])
    refused(bbc_aging(aging), "aging.xlsx")


# === properties (hypothesis) =======================================================================

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def exit_0_or_2(result) -> None:
    never_crashed(result)
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.stderr}"
    if result.exit_code == 2:
        assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile-properties")


def _run_acme_events(scratch: Path, data: bytes):
    path = scratch / EVENTS
    path.write_bytes(data)
    return invoke([*ACME_STATUS, "--facility", ACME, "--events", path], seconds=20)



@PROPERTY
@example(data=b"- {date: 2024-01-02}\n\x00")
@given(data=st.binary(max_size=400))
def test_random_bytes_as_events(scratch, data):
    exit_0_or_2(_run_acme_events(scratch, data))


@PROPERTY
@given(text=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn")) | st.sampled_from("\n\t\r"),
                    max_size=400))
def test_random_text_as_events(scratch, text):
    """Random UTF-8 text without control characters and noncharacters (the bytes property covers those), so
    that the search reaches deeper than the YAML reader."""
    exit_0_or_2(_run_acme_events(scratch, text.encode("utf-8")))


FIELDS = ["date", "type", "amount", "loan", "id", "note", "values", "kind", "recorded_at", "rate", "document",
          "accepted", "measure", "value", "measures", "receivables_borrowing_base", "description", "illustrative"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["2024-01-05", "2024-02-30", "0001-01-01", "1000.00", "-0", "1e400", "5000,50", "advances",
                     "eligible_receivables", "letter_of_credit", "yes", "2024-01-05T10:00:00+02:00"]),
    st.sampled_from(EVENT_TYPES),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=6), st.integers(), st.booleans()), inner,
                    max_size=4)), max_leaves=12)
events = st.lists(st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
                  | st.fixed_dictionaries({"date": st.sampled_from(["2024-01-05", "2024-01-02"]),
                                           "type": st.sampled_from(EVENT_TYPES)},
                                          optional={f: values for f in FIELDS[2:]}), max_size=5)
documents = st.one_of(events, values)


@PROPERTY
@given(document=documents)
def test_random_yaml_documents_as_events(scratch, document):
    text = yaml.safe_dump(document, allow_unicode=True)
    exit_0_or_2(_run_acme_events(scratch, text.encode("utf-8")))


money_like = st.from_regex(r"\A[+-]?\$?[0-9,]{0,22}(\.[0-9]{0,4})?\Z")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=30), money_like))
def test_parse_money_gives_cents_or_refuses(text):
    try:
        value = parse_money(text)
    except ValueError:
        return
    assert isinstance(value, Decimal) and value.is_finite()
    assert value.as_tuple().exponent >= -2
    assert abs(value) < Decimal(10) ** 15
    assert value >= 0
    assert not (value.is_zero() and value.is_signed())


@PROPERTY
@given(text=st.one_of(st.text(max_size=30), money_like))
def test_random_text_as_the_advance_amount(text):
    result = invoke(["advance", "--facility", ACME, "--on", "2024-02-01", f"--amount={text}"], seconds=20)
    exit_0_or_2(result)


@pytest.mark.parametrize("key", ["010000", "1:30", "0x1F", "yes", ".nan"])
def test_a_key_that_yaml_versions_read_differently_is_refused_with_its_line(key):
    """As a value would be: `010000: x` must not become a key 4,096 (or a null) on one reader and text on another."""
    from loanbook.core.errors import InputError
    from loanbook.core.yamlio import load_yaml
    with pytest.raises(InputError) as raised:
        load_yaml(Path("keys.yaml"), text=f"date: 2002-10-01\n{key}: x\n")
    assert raised.value.one_line().startswith(f"keys.yaml: line 2: key '{key}'")
    assert "read differently by different YAML versions" in raised.value.one_line()
