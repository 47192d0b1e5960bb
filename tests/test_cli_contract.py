"""The command-line contract (CONTRACT.md): every command, every required key, every bad-input case."""
import json

import pytest
from typer.testing import CliRunner

from conftest import SEED
from loanbook.cli import app

runner = CliRunner()
F = ["--facility", str(SEED)]


def run(*args):
    return runner.invoke(app, [*args, *F])


def run_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


STATUS_KEYS = {"as_of", "maximum_limit", "receivables_borrowing_base", "advance_rate", "iec_borrowing_capacity",
               "bankers_acceptances", "letters_of_guaranty", "letters_of_credit", "borrowing_capacity",
               "advances_outstanding", "availability", "overadvance", "overadvance_cap", "term_loan_reserve",
               "overadvance_limit", "term_loan_outstanding", "interest_accrued_unpaid", "breaches"}


def test_status_keys_and_figures():
    s = run_json("status", "--as-of", "2002-10-15")
    assert STATUS_KEYS <= set(s)
    # the figures worked by hand in test_engine_golden.test_seed_status_on_2002_10_15
    assert (s["borrowing_capacity"], s["availability"], s["overadvance"], s["overadvance_limit"],
            s["interest_accrued_unpaid"]) == ("1147000.00", "0.00", "243000.00", "250000.00", "9958.13")
    assert s["as_of"] == "2002-10-15"


def test_status_breaches_are_objects_with_rule_and_message():
    s = run_json("status", "--as-of", "2002-10-28")
    # 10/28: advances 1,170,000 vs capacity 85% x 1,450,000 - 60,000 = 1,172,500: no overadvance, cap 0
    assert s["overadvance"] == "0.00" and s["overadvance_cap"] == "0.00" and s["breaches"] == []
    s = run_json("status", "--as-of", "2002-10-27")
    assert s["overadvance"] == "117500.00" and s["breaches"] == []


def test_advance_keys():
    d = run_json("advance", "--on", "2002-10-15", "--amount", "5000.00")
    assert {"decision", "overadvance_after", "reasons"} <= set(d)
    assert d["decision"] == "overadvance_requires_approval" and d["overadvance_after"] == "248000.00"


def test_fees_keys():
    f = run_json("fees", "--as-of", "2002-12-31")
    assert {"installments", "total_due", "total_waived", "total_paid"} <= set(f)
    assert all({"component", "due", "amount", "status"} <= set(i) for i in f["installments"])
    # paid 15,000 + 25,000 + 15,000 + 30,000 = 85,000; waived 25,000 (11/27); due 40,000 (12/31)
    assert (f["total_paid"], f["total_waived"], f["total_due"]) == ("85000.00", "25000.00", "40000.00")


def test_obligations_keys():
    o = run_json("obligations", "--as-of", "2002-11-01")
    ids = {row["id"]: row for row in o["obligations"]}
    assert {"texas_property", "purchase_offer", "maturity", "executed_originals"} <= set(ids)
    assert all({"id", "clause", "deadline", "status"} <= set(r) for r in o["obligations"])
    assert ids["purchase_offer"]["status"] == "breached" and ids["texas_property"]["status"] == "satisfied"


def test_payoff_keys():
    p = run_json("payoff", "--on", "2002-12-20")
    assert {"principal", "interest", "fees", "expenses", "total"} <= set(p)


@pytest.mark.parametrize("args", [
    ("explain", "availability", "--as-of", "2002-10-15"), ("explain", "interest", "--as-of", "2002-11-10"),
    ("explain", "payoff", "--as-of", "2002-11-10"), ("explain", "fees", "--as-of", "2002-11-10"),
    ("explain", "overadvance_limit", "--as-of", "2002-10-15"),
    ("interest", "--from", "2002-10-01", "--to", "2002-12-31"),
    ("timeline", "--from", "2002-10-01", "--to", "2002-10-31"), ("status", "--as-of", "2002-10-15", "--explain"),
    ("conformed", "--as-of", "2002-10-15"), ("history", "--clause", "schedule.item-1"), ("check",),
])
def test_every_command_answers_for_people_and_scripts(args):
    assert run(*args).exit_code == 0
    assert run(*args, "--json").exit_code == 0


def test_explain_reaches_the_clause_text():
    tree = run_json("explain", "availability", "--as-of", "2002-10-15")
    assert tree["figure"] == "availability" and tree["value"] == "0.00"
    capacity = tree["inputs"][0]
    assert capacity["clause"]["clause"] == "schedule.item-1" and "85%" in capacity["clause"]["text"]
    oa = run_json("explain", "overadvance", "--as-of", "2002-10-15")
    assert oa["interpretation"]["id"] == "I-2"


def test_timeline_marks_breach_days(tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text('- {date: 2002-10-01, type: opening_balance, loan: advances, amount: "100000.00"}\n')
    result = runner.invoke(app, ["timeline", "--from", "2002-10-27", "--to", "2002-10-28", "--json", *F,
                                 "--events", str(events)])
    days = json.loads(result.stdout)["days"]
    # no borrowing base: capacity 0, overadvance 100,000; reserve 0 -> limit 0 on both days: breaches
    assert [d["breach"] for d in days] == [True, True]


def test_check_exit_code_and_i1():
    result = run("check")
    assert result.exit_code == 0 and "December 31, 200" in result.stdout and "I-1" in result.stdout


# --- bad input: exit 2, one line naming file, position and field, nothing applied --------------------

def bad(tmp_path, text, *args):
    events = tmp_path / "events.yaml"
    events.write_text(text)
    result = runner.invoke(app, [*(args or ("status", "--as-of", "2002-12-31")), *F, "--events", str(events)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    return result.stderr


@pytest.mark.parametrize("text,expected", [
    ("- {date: 2002-10-01, type: advence, amount: '1.00'}\n", "event 1 (line 1): field 'type': unknown event type"),
    ("- {date: 2002-10-01, type: advance}\n", "event 1 (line 1): field 'amount': missing"),
    ("- {date: 2002-13-01, type: advance, amount: '1.00'}\n", "field 'date'"),
    ("- {date: 2002-10-01, type: advance, amount: '-1.00'}\n", "must not be negative"),
    ("- {date: 2002-10-01, type: advance, amount: 'ten'}\n", "not a number"),
    ("- {date: 2002-10-01, type: advance, amount: '1.005'}\n", "more than 2 decimal places"),
    ("- {date: 2002-10-01, type: repayment, loan: advances, amount: '1.00'}\n", "field 'amount': repays"),
    ("- {date: 2002-10-01, type: contingent_closed, id: LC-7}\n", "field 'id': closes 'LC-7'"),
    ("- {date: 2002-10-01, type: paid_in_full}\n", "paid_in_full on 2002-10-01, but still owed: fees 15,000.00"),
    ("- {date: 2002-10-01, type: advance, amount: '1.00', colour: red}\n", "field 'colour': unknown field"),
    ("- {date: 2002-10-01, type: amendment_executed, amendment: amendment-99}\n",
     "field 'amendment': unknown document 'amendment-99'"),
])
def test_bad_events(tmp_path, text, expected):
    message = bad(tmp_path, text)
    assert "events.yaml" in message and expected in message


def test_interest_payment_above_accrued(tmp_path):
    message = bad(tmp_path, "- {date: 2002-10-01, type: opening_balance, loan: advances, amount: '360000.00'}\n"
                            "- {date: 2002-10-02, type: interest_payment, amount: '100.00'}\n")
    assert "event 2 (line 2)" in message and "82.50" in message


def test_day_with_principal_and_no_pricing_row(tmp_path):
    message = bad(tmp_path, "- {date: 2002-09-01, type: opening_balance, loan: advances, amount: '1000.00'}\n")
    assert "2002-09-01" in message and "schedule.item-18g" in message


def test_every_problem_in_one_line(tmp_path):
    message = bad(tmp_path, "- {date: 2002-10-01, type: advance}\n- {date: x, type: advance, amount: '1'}\n")
    assert "event 1" in message and "event 2" in message


@pytest.mark.parametrize("args,expected", [
    (("status", "--as-of", "2002-02-30"), "--as-of"),
    (("advance", "--on", "2002-10-15", "--amount", "12.345"), "more than 2 decimal places"),
    (("advance", "--on", "2002-10-15", "--amount", "0"), "more than zero"),
    (("status", "--as-of", "2002-09-15"), "(schedule.item-1) before 2002-10-01 is not in the record"),
    (("status", "--as-of", "2002-10-15", "--reading", "I-2=whatever"), "no reading 'whatever'"),
    (("explain", "nonsense", "--as-of", "2002-10-15"), "unknown figure"),
])
def test_bad_arguments(args, expected):
    result = run(*args)
    assert result.exit_code == 2 and expected in result.stderr


def test_bad_facility_folder(tmp_path):
    result = runner.invoke(app, ["check", "--facility", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such facility folder" in result.stderr


# What a cold `loanbook status` on a folder must not load: the store, the book's engines, the documents, the server
# (each adds tenths of a second to every command; docs/performance.md, cold start).
NOT_FOR_STATUS = ("alembic", "sqlalchemy", "QuantLib", "pandas", "pyarrow", "ibis", "duckdb", "pyspark", "fastapi",
                  "jinja2", "reportlab", "icalendar", "openpyxl", "pyparsing", "pypdf")


def _seed_status_in_a_new_process(after: str, *, before: str = "from loanbook.cli import main\n"):
    """`loanbook status --json` on the seed (2002-10-15) in a fresh interpreter: `before` imports `main` (and may
    set a spy), `after` prints what the test reads to stderr. The finished process, which exited 0."""
    import subprocess
    import sys

    probe = ("import sys\n" + before +
             "sys.argv = ['loanbook', 'status', '--facility', sys.argv[1], '--as-of', '2002-10-15', '--json']\n"
             "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code\n" + after)
    done = subprocess.run([sys.executable, "-c", probe, str(SEED)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_status_on_a_folder_imports_only_what_it_uses():
    done = _seed_status_in_a_new_process("print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), "
                                         "file=sys.stderr)\n")
    loaded = set(done.stderr.split())
    assert json.loads(done.stdout)["availability"] == "0.00"  # the command answered (see test_status_keys_and_figures)
    assert loaded.isdisjoint(NOT_FOR_STATUS), sorted(loaded & set(NOT_FOR_STATUS))


def test_status_builds_the_validators_of_the_kinds_the_facility_uses_only():
    """Terms and events are validated by their own kind's model, built on first use: a kind the seed does not use
    (a covenant, a flat fee, a prime rate event) and the union of every kind are never built by a status."""
    done = _seed_status_in_a_new_process(
        "from loanbook.agreement import kinds, kinds_covenants, kinds_fees\n"
        "from loanbook.events import types\n"
        "built = lambda model: model.__pydantic_complete__\n"
        "print(built(kinds.BorrowingBase), built(types.Advance), built(kinds_covenants.Covenant),\n"
        "      built(kinds_fees.FlatFee), built(types.PrimeRate), kinds._every_kind.cache_info().currsize,\n"
        "      file=sys.stderr)\n")
    assert done.stderr.split() == ["True", "True", "False", "False", "False", "0"]


def test_the_command_line_starts_without_the_cycle_collector_and_works_with_it():
    """`loanbook` pauses the cycle collector while it starts (loanbook/__main__.py); the command's work runs with
    it on, and what start-up made is frozen."""
    done = _seed_status_in_a_new_process(
        "print(seen, gc.get_freeze_count() > 0, file=sys.stderr)\n",
        before="import gc\n"
               "from loanbook import cli\n"
               "from loanbook.__main__ import main\n"
               "load, seen = cli.load_agreement, []\n"
               "def spy(*args):\n    seen.append(gc.isenabled())\n    return load(*args)\n"
               "cli.load_agreement = spy\n")
    assert json.loads(done.stdout)["availability"] == "0.00"
    assert done.stderr.split() == ["[True]", "True"]


@pytest.mark.parametrize("args", [
    ("status", "--facility", str(SEED), "--as-of", "2002-10-15", "--json"),
    ("status", "--facility", str(SEED), "--bogus"),
    ("status", "--help"),
    ("report", "bogus"),
    ("statu", "--facility", str(SEED)),
])
def test_the_command_line_answers_as_the_whole_app_does(args):
    """`loanbook NAME ...` builds only the command (or group) NAME (cli._app_for): what it prints and its exit
    status are the whole app's."""
    import os
    import subprocess
    import sys

    answers = []
    for probe in ("from loanbook.cli import app\napp(prog_name='loanbook')\n",
                  "import sys\nfrom loanbook.cli import main\nsys.argv[0] = 'loanbook'\nmain()\n"):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "100"})
        answers.append((done.returncode, done.stdout, done.stderr))
    assert answers[0] == answers[1]
    assert answers[0][1] or answers[0][2]  # something was said
