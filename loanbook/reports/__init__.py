"""What people look at besides the terminal: `--out` files (exports.py, rows.py), the documents (a borrowing base
certificate, a compliance report, a monthly statement: documents.py, rendered by html.py, pdf.py and xlsx.py)
and the calendar (calendar.py). Each is a plain function returning rows, bytes or text, so the command line and
the web app serve the same thing."""
