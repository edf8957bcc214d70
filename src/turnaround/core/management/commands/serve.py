"""Serve the product with gunicorn (production-grade WSGI server; static files via whitenoise)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve turnaround over HTTP with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--timeout", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.wsgiapp import WSGIApplication

        argv = [
            "gunicorn",
            "turnaround.config.wsgi:application",
            "--config",
            "python:turnaround.config.gunicorn_conf",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--timeout",
            str(options["timeout"]),
            "--access-logfile",
            "-",
        ]
        self.stdout.write(f"Serving turnaround on http://{options['bind']}/ (Ctrl-C stops it)")
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
