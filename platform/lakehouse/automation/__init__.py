"""Re-materialisation when data changes: cursor-based sensors over the event log (docs/automation.md)."""
