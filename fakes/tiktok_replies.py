"""TikTok replies the fake can send on demand or at random (through `FakeServer.fail_next` and
`fail_rate`), each as TikTok sends it: HTTP 200, the code in the body, a fresh `request_id`
(research/tiktok.md §4.1). Samples recorded from the real API are kept in tests/data/tiktok/."""

from __future__ import annotations

import json

from fakes._server import Fault
from fakes.tiktok import INFO, reply, request_id


def _fault(code: int, message: str, data: object | None = None) -> Fault:
    return Fault(
        status=200,
        body=lambda: json.dumps(reply(code, message, data)),
        content_type="application/json",
    )


def error_envelope(code: int, message: str = "System error") -> Fault:
    """Any TikTok error: HTTP 200, the code in the body, a fresh request_id (research §4.1)."""
    return _fault(code, message)


def malformed() -> Fault:
    return Fault(status=200, body='{"code": 0, "data": ', content_type="application/json")


def gateway_timeout() -> Fault:
    return Fault(status=504, body="<html>504 Gateway Time-out</html>")  # non-JSON 504 (§4.1)


def without_list(shape: str) -> Fault:
    """Code 0 with nothing usable in it. TikTok's docs promise `data.list`; these are the
    shapes a client must not read as "no advertisers": `null`, `not_list`, `no_data`."""
    body = {
        "null": {"code": 0, "message": "OK", "data": None},
        "not_list": {"code": 0, "message": "OK", "data": {"list": {"advertiser_id": "1"}}},
        "no_data": {"code": 0, "message": "OK"},
    }[shape]
    return Fault(
        status=200,
        body=lambda: json.dumps({**body, "request_id": request_id()}),
        content_type="application/json",
    )


def permission_denied(path: str = INFO) -> Fault:
    return _fault(40001, f"advertiser does not grant you /{path.rstrip('/')}:GET permission")


def app_limit(window: str, app_id: str = "app-1") -> Fault:
    """40100 with the window named as in the fake's own limiter (see `_throttled`)."""
    return _fault(40100, f"App [{app_id}] reaches the {window} limit 10, current {window} is 11.")


def endpoint_limit() -> Fault:
    return _fault(40016, "Requests made too frequently.")  # errors yml, 40016


def advertiser_limit(advertiser_id: str = "7000000000000000001") -> Fault:
    # The example text of 40133 in errors yml.
    return _fault(
        40133,
        f"Advertiser ({advertiser_id})'s QPS (11) reaches QPS limit 10 for current path, "
        "request is temporarily restricted.",
    )
