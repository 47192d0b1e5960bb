"""The engines the rules run on: DuckDB (in-process, the default) and Apache Spark (local mode here, a
cluster in production), both through Ibis, so one definition of the rules serves both.

Tables go in as Arrow. On Spark a table is handed over as a DataFrame with its schema given (money built
from pandas would otherwise come back as DECIMAL(38,18)), registered as a temporary view and read with
`con.table`.

PySpark is an extra (`pip install 'loanbook[spark]'`): it is imported only when the Spark engine is used, and
`missing` says, in one line, how to install it when it is not there.
"""
from __future__ import annotations

import threading

import ibis
import pyarrow as pa

ENGINES = ("duckdb", "spark")
SPARK_MISSING = "the spark engine needs PySpark, which is not installed: pip install 'loanbook[spark]'"
_SPARK: list = []
_SPARK_LOCK = threading.Lock()


def missing(name: str) -> str | None:
    """Why engine `name` cannot run here (one line, with the command that fixes it), or None if it can."""
    if name != "spark":
        return None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return SPARK_MISSING
    return None


class Engine:
    def __init__(self, name: str):
        if name not in ENGINES:
            raise ValueError(f"unknown engine {name!r}; one of: {', '.join(ENGINES)}")
        self.name = name
        if name == "duckdb":
            self.con = ibis.duckdb.connect(threads=2)
        else:
            problem = missing(name)
            if problem:
                raise ModuleNotFoundError(problem, name="pyspark")
            self.con = ibis.pyspark.connect(spark_session())

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc) -> None:
        if self.name == "duckdb":
            self.con.disconnect()

    def load(self, table: pa.Table, name: str):
        """An Arrow table as an Ibis table of this engine."""
        if self.name == "duckdb":
            return self.con.create_table(name, table, overwrite=True)
        session = spark_session()
        frame = session.createDataFrame(table, schema=_spark_schema(table.schema))  # Arrow in, exact types
        frame.createOrReplaceTempView(name)
        return self.con.table(name)

    def read_parquet(self, path: str, name: str):
        if self.name == "duckdb":
            return self.con.read_parquet(path, table_name=name)
        frame = spark_session().read.parquet(path)
        frame.createOrReplaceTempView(name)
        return self.con.table(name)

    def sql(self, query: str) -> pa.Table:
        """Run SQL of this engine's dialect (the compiled rules) over the tables loaded."""
        if self.name == "duckdb":
            return self.con.con.sql(query).to_arrow_table()
        return spark_session().sql(query).toArrow()

    def rows(self, expr) -> list[dict]:
        return self.con.to_pyarrow(expr).to_pylist()

    def arrow(self, expr) -> pa.Table:
        return self.con.to_pyarrow(expr)


def connect(name: str = "duckdb") -> Engine:
    return Engine(name)


def spark_session():
    """One local Spark session per process (it takes seconds to start), in UTC, without its web UI."""
    with _SPARK_LOCK:
        if not _SPARK:
            from pyspark.sql import SparkSession

            _SPARK.append(SparkSession.builder.master("local[2]").appName("loanbook")
                          .config("spark.ui.enabled", "false")
                          .config("spark.sql.session.timeZone", "UTC")
                          .config("spark.sql.shuffle.partitions", "2")
                          .config("spark.ui.showConsoleProgress", "false")
                          .config("spark.sql.ansi.enabled", "false")
                          .getOrCreate())
            _SPARK[0].sparkContext.setLogLevel("ERROR")
        return _SPARK[0]


def _spark_schema(schema: pa.Schema):
    from pyspark.sql import types as T

    def kind(t: pa.DataType):
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return T.StringType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_date32(t):
            return T.DateType()
        if pa.types.is_decimal(t):
            return T.DecimalType(t.precision, t.scale)
        if pa.types.is_int32(t):
            return T.IntegerType()
        if pa.types.is_int64(t):
            return T.LongType()
        raise TypeError(f"no Spark type for {t}")

    return T.StructType([T.StructField(f.name, kind(f.type), True) for f in schema])
