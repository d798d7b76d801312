"""Stage package (seed notebook: reporting): aggregates per day / week / month as Delta tables and
reports (HTML, PDF, Excel, CSV, PNG) rendered from them; see docs/reporting.md."""
