"""Stage package (seed notebook: ml); see docs/architecture.md."""
