"""The HTTP access log without query strings: the OAuth callback carries a one-time authorisation
code and state there, and neither belongs in a log."""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %.1f ms',
            request.remote,
            request.method,
            request.path,
            response.status,
            time * 1000,
        )


def web_runner(app: web.Application) -> web.AppRunner:
    """How every entry point (server, shell, tests) runs the aiohttp app."""
    return web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
