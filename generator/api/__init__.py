"""The HTTP API and the merchant web page: translate, enqueue, read (generator.api.app.create_app)."""

from generator.api.app import create_app

__all__ = ["create_app"]
