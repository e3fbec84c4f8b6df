"""Schemathesis hooks for fuzzing the pos GraphQL API (loaded by
.ci/fuzz/run through SCHEMATHESIS_HOOKS).

1. Strategies for the schema's custom scalars. Schemathesis knows DateTime
   but not Amount, Quantity or NaiveDate, and would skip every operation
   that takes one. Each strategy mixes well-formed values (so requests get
   past input coercion into the resolvers) with edge cases (overflow,
   signs, too many decimals, impossible dates, junk).
2. ID, Int and String are overridden too, so more requests get past
   validation: ID draws mostly from the ids that seed.py created
   (POS_FUZZ_DIR/ids), String sometimes from real cursors and valid codes
   (POS_FUZZ_DIR/strings), Int mostly from small page sizes and counts;
   each still mixes in arbitrary values and the extremes.
3. The checks that decide the run: see `pos_server_fault`.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure
from schemathesis.graphql import nodes

# --- scalars --------------------------------------------------------------

I64 = 2**63


def _lines(name):
    path = os.path.join(os.environ.get("POS_FUZZ_DIR", ""), name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


_seeded = _lines("ids")
_id = st.one_of(
    *([st.sampled_from(_seeded)] * 3 if _seeded else []),
    st.uuids().map(str),
    st.text(max_size=40),
)
schemathesis.graphql.scalar("ID", _id.map(nodes.String))

_strings = _lines("strings")
schemathesis.graphql.scalar(
    "String",
    st.one_of(
        *([st.sampled_from(_strings)] if _strings else []),
        st.text(max_size=64),
        st.sampled_from(["", " ", "\u0000", "x" * 5000, "'; --", "%s%n", "\u202e", "😀"]),
    ).map(nodes.String),
)

I32 = 2**31
schemathesis.graphql.scalar(
    "Int",
    st.one_of(
        st.integers(min_value=0, max_value=100),
        st.integers(min_value=0, max_value=100),
        st.sampled_from([-1, 0, 1, 500, 501, 10_000, 10_001, I32 - 1, -I32]),
        st.integers(min_value=-I32, max_value=I32 - 1),
    ).map(nodes.Int),
)

# Minor units: sent as a string or a number, like clients do.
_amount_int = st.one_of(
    st.integers(min_value=-10_000, max_value=1_000_000),
    st.sampled_from([0, -1, I64 - 1, -I64, I64 // 100, 2**53 + 1]),
    st.integers(min_value=-I64, max_value=I64 - 1),
)
schemathesis.graphql.scalar(
    "Amount",
    st.one_of(
        _amount_int.map(str).map(nodes.String),
        _amount_int.map(nodes.Int),
        st.sampled_from(["", " 12 ", "1.5", "1e3", "9" * 30, "-0", "NaN"]).map(nodes.String),
    ),
)

_qty_units = st.integers(min_value=-1_000, max_value=100_000)
schemathesis.graphql.scalar(
    "Quantity",
    st.one_of(
        st.integers(min_value=1, max_value=20).map(str).map(nodes.String),
        st.tuples(_qty_units, st.integers(min_value=0, max_value=9999)).map(
            lambda t: nodes.String(f"{t[0]}.{t[1]}")
        ),
        st.integers(min_value=-I64, max_value=I64 - 1).map(nodes.Int),
        st.sampled_from(["0", "-1", "0.000", "1.0001", "1e2", "", "9" * 25, "0.001"]).map(nodes.String),
    ),
)

_dates = st.one_of(
    st.dates(),  # years 1 to 9999
    st.dates(min_value=__import__("datetime").date(2020, 1, 1), max_value=__import__("datetime").date(2030, 12, 31)),
)
schemathesis.graphql.scalar(
    "NaiveDate",
    st.one_of(
        _dates.map(str).map(nodes.String),
        st.sampled_from(["2024-02-30", "2024-13-01", "0000-01-01", "+10000-01-01", "2024-1-1", ""]).map(nodes.String),
    ),
)

# --- checks ---------------------------------------------------------------


class PosServerFault(Failure):
    """A response that shows the server itself failed. One finding per
    operation and kind (status-5xx, internal, no-code, not-json)."""

    def __init__(self, *, operation, title, message, kind):
        super().__init__(operation=operation, title=title, message=message)
        self.kind = kind

    @property
    def _unique_key(self):
        return self.kind


@schemathesis.check
def pos_server_fault(ctx, response, case):
    """Fails on what only the server can be blamed for: a 5xx status, a
    body that is not a JSON object, or a GraphQL error whose
    `extensions.code` is INTERNAL (an unexpected error the server logged).

    Every other code (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, CONFLICT,
    UNAUTHENTICATED, REJECTED-class codes, …) is the API answering bad or
    unlucky input as documented, so it passes.
    """
    label = case.operation.label
    if response.status_code >= 500:
        raise PosServerFault(
            operation=label,
            title="Server error (5xx)",
            message=f"HTTP {response.status_code}: {response.text[:500]}",
            kind=f"status-{response.status_code}",
        )
    try:
        body = json.loads(response.content)
    except ValueError:
        raise PosServerFault(
            operation=label,
            title="Response is not JSON",
            message=f"HTTP {response.status_code}: {response.text[:500]}",
            kind="not-json",
        ) from None
    if not isinstance(body, dict):
        raise PosServerFault(operation=label, title="Response is not a JSON object",
                             message=response.text[:500], kind="not-object")
    for error in body.get("errors") or []:
        ext = (error or {}).get("extensions") or {}
        code = ext.get("code")
        if code == "INTERNAL":
            raise PosServerFault(
                operation=label,
                title="GraphQL error with code INTERNAL",
                message=json.dumps(error)[:500],
                kind="internal",
            )
        if code is None:
            # src/graphql/codes.rs promises a code on every error a client sees.
            raise PosServerFault(
                operation=label,
                title="GraphQL error without extensions.code",
                message=json.dumps(error)[:500],
                kind="no-code",
            )
    return None
