"""Configuration as data: environment profiles and dataset configuration (YAML + pydantic models)."""
