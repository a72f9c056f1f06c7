"""The service's web app (FastAPI): probes, metrics, dashboard, JSON API, chat endpoints."""
