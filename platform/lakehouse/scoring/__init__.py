"""Stage package (seed notebook: scoring); see docs/architecture.md."""
