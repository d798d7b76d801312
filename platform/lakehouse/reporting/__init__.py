"""Stage package (seed notebook: reporting); see docs/architecture.md."""
