"""Schemathesis hooks of deploy/local/contract (loaded through SCHEMATHESIS_HOOKS).

Every generated request gets an Idempotency-Key of its own: the server answers a key that was
used for another request with 422 `idempotency_key_reused`, a rule across requests that no
schema of one request can state, so a generator reusing its favourite values ("0", "a") would
see schema-valid requests refused. Keys that are invalid by the document are left as generated,
so the negative checks still see them refused. The reuse and replay rules are tested in
tests/tests/idempotency.rs.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = str(uuid.uuid4())
