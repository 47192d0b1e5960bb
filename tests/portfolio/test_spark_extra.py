"""PySpark is an extra (`pip install 'loanbook[spark]'`): without it everything but the Spark engine works, and
asking for that engine exits 2 with one line saying how to install it. PySpark's absence is simulated: the tests'
own environment has it, for the Spark tests."""
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import ROOT, SEED
from loanbook.cli import app

AGING = SEED / "agings" / "aging-2002-12-16.csv"
MESSAGE = "loanbook: the spark engine needs PySpark, which is not installed: pip install 'loanbook[spark]'"
runner = CliRunner()

# Put before the interpreter's own finders, this makes `import pyspark` fail as it does where it is not installed.
NO_SPARK = """
import sys

class NoSpark:
    def find_spec(self, name, path=None, target=None):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoSpark())
sys.argv = ["loanbook", *sys.argv[1:]]
from loanbook.cli import main
main()
"""


def without_pyspark(*args: str) -> subprocess.CompletedProcess:
    """`loanbook ARGS` in its own process, where PySpark cannot be imported."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-c", NO_SPARK, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize("args", [
    ("bbc", "compute", "--facility", str(SEED), "--aging", str(AGING), "--as-of", "2002-12-16", "--engine", "spark"),
    ("portfolio", "run", "--as-of", "2002-12-16", "--book", str(ROOT / "examples"), "--engine", "spark"),
])
def test_the_spark_engine_without_pyspark_is_one_line_and_exit_2(args, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` now fails, as where it is not installed
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.stderr == MESSAGE + "\n" and result.stdout == ""


def test_without_pyspark_the_real_command_says_how_to_install_it():
    result = without_pyspark("portfolio", "run", "--as-of", "2002-12-16", "--book", str(ROOT / "examples"),
                             "--engine", "spark")
    assert (result.returncode, result.stderr, result.stdout) == (2, MESSAGE + "\n", "")


def test_without_pyspark_the_default_engine_computes():
    """The base install: a certificate on DuckDB with PySpark not importable at all."""
    result = without_pyspark("bbc", "compute", "--facility", str(SEED), "--aging", str(AGING), "--as-of",
                             "2002-12-16", "--json")
    assert result.returncode == 0, result.stderr
    assert '"value"' in result.stdout and "Traceback" not in result.stderr
