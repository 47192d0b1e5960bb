"""The loan book at scale: invoice-level borrowing bases and portfolio runs (DuckDB by default, Spark at scale)."""
