"""Model monitoring and retraining on degradation (docs/monitoring.md)."""
