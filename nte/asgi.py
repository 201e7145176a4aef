"""ASGI entry point for uvicorn/gunicorn: ``uvicorn nte.asgi:app``."""

from nte.app import create_app

app = create_app()
