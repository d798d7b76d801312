"""Stage package (seed notebook: processing); see docs/architecture.md."""
