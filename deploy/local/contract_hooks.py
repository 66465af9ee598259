"""Schemathesis hooks of deploy/local/contract (loaded through SCHEMATHESIS_HOOKS).

Every generated request gets an Idempotency-Key of its own: the server answers a key that was
used for another request with 422 `idempotency_key_reused`, a rule across requests that no
schema of one request can state, so a generator reusing its favourite values ("0", "a") would
see schema-valid requests refused. Keys that are invalid by the document are left as generated,
so the negative checks still see them refused. The reuse and replay rules are tested in
tests/tests/idempotency.rs.

The audit queries have rules across their parameters that OpenAPI parameters cannot state (each
is in the parameter's description, answered 422 naming the parameter, and tested in
tests/tests/audit_history.rs): a time or position range runs forwards (`from` before `to`,
`after_position` below `before_position`, `from_version` at most `to_version`); a history query
is bounded (a stream, actor, correlation or request id, or both ends of a range); a state is asked
as of at most one of `at`, `version`, `position`. A generated query that breaks one of these is
mended before it is sent (swapped ends, one `as of` kept, a stream id added), so that schema-valid
means acceptable; values that are invalid by the document are left as generated.
"""

import re
import uuid
from datetime import datetime

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = str(uuid.uuid4())
    path = case.operation.path
    if path.startswith("/v1/audit/"):
        if case.query is None:
            case.query = {}
        if isinstance(case.query, dict):
            _mend_audit(path, case.query)


AUDIT_EVENTS = ("/v1/audit/events", "/v1/audit/export")
BOUNDING = ("stream_id", "actor", "correlation_id", "request_id")


def _single(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _time(value):
    try:
        return datetime.fromisoformat(str(_single(value)).replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value):
    value = _single(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return None


def _forwards(query, low, high, parse, strict):
    a, b = query.get(low), query.get(high)
    if a is None or b is None:
        return
    pa, pb = parse(a), parse(b)
    if pa is None or pb is None:
        return
    if pa > pb or (strict and pa == pb):
        if pa == pb:
            query.pop(high)
        else:
            query[low], query[high] = b, a


def _mend_audit(path, query):
    if path in AUDIT_EVENTS or path.startswith("/v1/audit/{stream_type}/{id}"):
        _forwards(query, "from", "to", _time, strict=True)
        _forwards(query, "after_position", "before_position", _number, strict=True)
        _forwards(query, "from_version", "to_version", _number, strict=False)
    if path in AUDIT_EVENTS:
        ranged = ("from" in query and "to" in query) or ("after_position" in query and "before_position" in query)
        if not ranged and not any(name in query for name in BOUNDING):
            query["stream_id"] = str(uuid.uuid4())
    if path.endswith("/state"):
        given = [name for name in ("at", "version", "position") if name in query]
        for name in given[1:]:
            query.pop(name)

