"""Running the service: gunicorn, request log, metrics, readiness, backup and restore."""
