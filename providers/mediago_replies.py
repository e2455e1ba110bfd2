"""Reading MediaGo's replies: which ones refuse the credentials, which ones are transient, and
which account listings are complete enough to take access away.

MediaGo publishes no error table (research/mediago.md §5), so the rules below come from its
docs' shapes and from public clients, and lean one way: only a reply that plainly refuses the
credentials makes a profile invalid, and only a listing whose shape is understood may say which
accounts are reachable. Anything else is an error the sync retries.
"""

from __future__ import annotations

import re
from typing import Any

from providers.base import AccountInfo, CredentialsInvalid, ProviderUnavailable, RateLimited

# Messages that refuse the credential itself: "invalid api token" (bensonchu0221/ad_tools
# src/tools/nexus/run.ts reads it as a dead token) and popIn's 403 "not authorized for MediaGo
# platform" (ad_tools discovery-api SKILL.md). Vaguer words are not enough: an API gateway in
# front of a wrong URL says "Missing Authentication Token" with a 403.
_REFUSES_TOKEN = re.compile(
    r"invalid (?:api[ _-]?)?token|(?:api[ _-]?)?token (?:is )?(?:invalid|expired|revoked)"
    r"|not authorized for mediago",
    re.IGNORECASE,
)
# HTTP 429 `{"code": 1, …}` with ReportFlowLimit.operateTooMuch / IpLimit.operateTooMuch, and
# BulkUpdateFlowLimit.tokenQpsExceeded (ad_tools discovery-api SKILL.md, popIn's shared backend).
_THROTTLED = re.compile(r"operatetoomuch|qpsexceeded", re.IGNORECASE)
NOT_FOR_MEDIAGO = "not authorized for mediago"
# Success markers: errno 0 (popIn writes, newsbreakmaster mediago_api.py), code 0 or 200
# (newsbreakmaster accepts both; popIn reads compare code as the string "0").
_OK_CODES = frozenset({0, 200, "0", "200"})
_OK_STATUS = frozenset({"ok", "success"})
# Where rows are found: a bare array (EssaidMadi/TrackerApp mediago-api.client.ts; tap-baidu
# authorized_account_list schema), or under these keys, possibly one level down
# (`data.accounts` in newsbreakmaster tests/test_mediago.py; `result(s)` in its unwrap_list).
_ROW_KEYS = ("data", "accounts", "result", "results", "list")
_INNER_KEYS = ("accounts", "list", "result", "results")


def message(body: Any) -> str:
    if isinstance(body, dict):
        for field in ("errmsg", "error", "message", "msg"):
            if isinstance(body.get(field), str) and body[field]:
                return body[field]
    return ""


def refusal(body: Any) -> str | None:
    """The error text when the body carries an error marker, else None. A `status` that is not
    a success word (e.g. "FAIL") counts as an error."""
    if not isinstance(body, dict):
        return None
    failed = False
    if "errno" in body:
        failed |= body["errno"] not in (0, "0")
    if "code" in body:
        failed |= body["code"] not in _OK_CODES or isinstance(body["code"], bool)
    if "status" in body:
        failed |= str(body["status"]).lower() not in _OK_STATUS
    if not failed:
        return None
    detail = message(body)
    code = body.get("errno", body.get("code", body.get("status")))
    return detail or f"error {str(code)[:20]}"


def throttled(status: int, body: Any) -> bool:
    return status == 429 or bool(_THROTTLED.search(message(body)))


def auth_outcome(status: int, body: Any, *, parsed: bool) -> str | Exception:
    """The access token from an authentication reply, or the error it amounts to."""
    what = "MediaGo authentication"
    if throttled(status, body):
        return RateLimited(f"{what}: rate limited", retry_after=1.0)
    if status >= 500:
        return ProviderUnavailable(f"{what}: HTTP {status}")
    text = message(body) or refusal(body) or ""
    if status == 401:
        return CredentialsInvalid(text or "HTTP 401")
    token = body.get("access_token") if isinstance(body, dict) else None
    error = refusal(body)
    if status == 200 and error is None and isinstance(token, str) and token:
        return token
    if parsed and status in (200, 400, 403) and _REFUSES_TOKEN.search(text):
        return CredentialsInvalid(text)
    # 200 with `{}`, `null` or a maintenance errno, a gateway's 403/404 page: nothing here
    # says the credentials are wrong.
    detail = f": {text}" if text else ""
    return ProviderUnavailable(f"{what}: unexpected reply (HTTP {status}){detail}")


class Expired(Exception):
    """A 401 on a data call: the access token is stale, not the credentials."""


def listing(status: int, body: Any, *, parsed: bool) -> list[AccountInfo] | Exception:
    """The accounts of a listing reply, or the error it amounts to. Only a listing whose rows
    are found where a known client finds them, each with an id, is complete."""
    what = "MediaGo account list"
    text = message(body)
    if status == 401:
        return Expired(text)
    if NOT_FOR_MEDIAGO in text.lower() and (status == 403 or refusal(body) is not None):
        return CredentialsInvalid(f"MediaGo: {text}")
    if throttled(status, body):
        return RateLimited(f"{what}: rate limited", retry_after=1.0)
    if status >= 400:
        return ProviderUnavailable(f"{what}: HTTP {status}{f' ({text})' if text else ''}")
    if not parsed:
        return ProviderUnavailable(f"{what}: unreadable reply")
    error = refusal(body)
    if error is not None:
        return ProviderUnavailable(f"{what}: {error}")
    rows = _rows(body)
    if rows is None:
        return ProviderUnavailable(f"{what}: no list of accounts in the reply")
    accounts = []
    for row in rows:
        ident = _first(row, "account_id", "accountId", "id") if isinstance(row, dict) else None
        if isinstance(ident, bool) or not isinstance(ident, str | int) or not str(ident).strip():
            return ProviderUnavailable(f"{what}: an entry without an account id")
        accounts.append(AccountInfo(external_id=str(ident).strip(), name=_name(row)))
    return accounts


def _rows(body: Any) -> list[Any] | None:
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        return None
    for key in _ROW_KEYS:
        value = body.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            for inner in _INNER_KEYS:
                if isinstance(value.get(inner), list):
                    return value[inner]
    return None


def _first(row: dict[str, Any], *keys: str) -> Any:
    return next((row[k] for k in keys if k in row), None)


def _name(row: dict[str, Any]) -> str | None:
    name = _first(row, "account_name", "accountName", "name")
    return name.strip() or None if isinstance(name, str) else None
