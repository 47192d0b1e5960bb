"""The agreement as data: documents, clauses, clause versions, as-of resolution, conformed copy."""
