"""Ingestion (seed notebook `data_ingestion`): one bronze asset per configured source."""
