"""Operations: run-failure alerts and weekly table / model maintenance (docs/operations.md)."""
