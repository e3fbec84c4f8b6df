"""Schemathesis hooks for fuzzing the pos GraphQL API (loaded by
.ci/fuzz/run through SCHEMATHESIS_HOOKS).

1. Strategies for the schema's custom scalars. Schemathesis knows DateTime
   (any instant in years 1-9999) but not Amount, Quantity or NaiveDate, and
   would skip every operation that takes one. Each strategy gives mostly
   values a till would send (so requests get past input coercion into the
   resolvers) and otherwise edge cases (overflow, signs, too many decimals,
   impossible dates, junk).
2. ID, Int and String are overridden too, so more requests get past
   validation: ID draws mostly from the ids that seed.py created
   (POS_FUZZ_DIR/ids), String sometimes from real cursors and valid codes
   (POS_FUZZ_DIR/strings), Int mostly from small page sizes and counts;
   each still mixes in arbitrary values and the extremes.
3. Cases of recordSale, refundSale and syncPush with empty `lines`,
   `tenders` or `events` are dropped: they never get past the first check.
   syncPush's @oneOf event payloads are cut to one field (hypothesis-graphql
   fills several); 4 in 5 new sales, refunds and voids get a fresh UUID
   (`_fresh_ids`), and half of the cases get one cash tender that covers
   any total (`_tidy_tenders`).
4. The checks that decide the run: see `pos_server_fault`.
"""

import datetime as _dt
import json
import os
import uuid
import zlib

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure
from schemathesis.graphql import nodes

# --- scalars --------------------------------------------------------------

I64 = 2**63


def _mostly(ok, *edges, edge_percent=15):
    """`ok` most of the time, one of `edges` about edge_percent% of the time.
    Hypothesis draws small and boundary integers far more often than others,
    so the draw is scrambled (n -> 37n + 60 mod 100, a permutation) before
    it is compared; n = 0, the shrink target, lands on `ok`."""
    edge = st.one_of(*edges)
    return st.integers(min_value=0, max_value=99).flatmap(
        lambda n: edge if (37 * n + 60) % 100 < edge_percent else ok
    )


# Minor units, sent as a string or a number like clients do: mostly
# plausible prices and tenders, then the extremes and junk.
_amount_ok = st.integers(min_value=1, max_value=100_000)
_amount_edge = st.one_of(
    st.integers(min_value=-10_000, max_value=1_000_000),
    st.sampled_from([0, -1, I64 - 1, -I64, I64 // 100, 2**53 + 1, 10**15, 10**15 + 1]),
    st.integers(min_value=-I64, max_value=I64 - 1),
)
schemathesis.graphql.scalar(
    "Amount",
    _mostly(
        st.one_of(_amount_ok.map(str).map(nodes.String), _amount_ok.map(nodes.Int)),
        _amount_edge.map(str).map(nodes.String),
        _amount_edge.map(nodes.Int),
        st.sampled_from(["", " 12 ", "1.5", "1e3", "9" * 30, "-0", "NaN"]).map(nodes.String),
    ),
)

# Mostly quantities a till would send (whole pieces, or up to 3 decimals
# for weighed items), so sales get past coercion; then the edge cases.
_qty_units = st.integers(min_value=-1_000, max_value=100_000)
_qty_ok = st.one_of(
    st.integers(min_value=1, max_value=5).map(str),
    st.tuples(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=999)).map(
        lambda t: f"{t[0]}.{t[1]:03}"
    ),
)
schemathesis.graphql.scalar(
    "Quantity",
    _mostly(
        _qty_ok.map(nodes.String),
        st.tuples(_qty_units, st.integers(min_value=0, max_value=99999)).map(
            lambda t: nodes.String(f"{t[0]}.{t[1]}")
        ),
        st.integers(min_value=-I64, max_value=I64 - 1).map(nodes.Int),
        st.sampled_from(["0", "-1", "0.000", "1.0001", "1e2", "", "9" * 25, "0.001"]).map(nodes.String),
    ),
)

def _recent(seconds):
    now = _dt.datetime.now(_dt.timezone.utc)
    return (now + _dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


# A till's clock: mostly the last month up to a few minutes ahead (the
# server refuses more than a day ahead); then any instant in years 1-9999.
# Relative to the wall clock, so a replayed case sends a slightly later time.
schemathesis.graphql.scalar(
    "DateTime",
    _mostly(
        st.integers(min_value=-30 * 86400, max_value=600).map(_recent).map(nodes.String),
        st.tuples(st.dates(), st.times()).map(lambda t: f"{t[0]}T{t[1]}Z").map(nodes.String),
        st.integers(min_value=-400 * 86400, max_value=3 * 86400).map(_recent).map(nodes.String),
        st.sampled_from(["", "now", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00+25:00", "2024-01-01"]).map(
            nodes.String
        ),
        edge_percent=25,
    ),
)

# Business dates: mostly around today (rollups, Z-reports); then the whole
# range of years 1-9999, and impossible dates.
schemathesis.graphql.scalar(
    "NaiveDate",
    _mostly(
        st.integers(min_value=-60, max_value=2).map(lambda d: str(_dt.date.today() + _dt.timedelta(days=d))),
        st.dates().map(str),
        st.dates(min_value=_dt.date(2020, 1, 1), max_value=_dt.date(2030, 12, 31)).map(str),
        st.sampled_from(["2024-02-30", "2024-13-01", "0000-01-01", "+10000-01-01", "2024-1-1", ""]),
        edge_percent=40,
    ).map(nodes.String),
)

# --- shaping -------------------------------------------------------------

# A sale, refund or sync event with no lines or no tenders is refused
# before any of the interesting code runs, and Hypothesis favours empty
# lists: drop those cases for the operations that carry them (the answer to
# an empty list is a plain BAD_USER_INPUT, covered by the server's tests).
_NEEDS_LINES = {"Mutation.recordSale", "Mutation.refundSale", "Mutation.syncPush"}
_SALE_MUTATIONS = _NEEDS_LINES | {"Mutation.voidSale"}


@schemathesis.hook
def filter_body(ctx, body):
    if ctx.operation is None or ctx.operation.label not in _NEEDS_LINES:
        return True
    import graphql

    text = graphql.print_ast(body) if isinstance(body, graphql.language.ast.Node) else str(body)
    return not any(empty in text for empty in ("lines: []", "tenders: []", "events: []"))


class _OneOfPayload:
    """hypothesis-graphql ignores @oneOf: it fills any number of
    SalesEventInput.payload's fields (sale, refund, void), and all but
    one-field payloads die in validation. Keep one non-null field."""

    @staticmethod
    def fix(document):
        import graphql

        class Visitor(graphql.Visitor):
            def enter_object_field(self, node, *_):
                value = node.value
                if node.name.value != "payload" or not isinstance(value, graphql.ObjectValueNode):
                    return None
                if len(value.fields) <= 1:
                    return None
                fields = [f for f in value.fields if not isinstance(f.value, graphql.NullValueNode)]
                keep = (fields or list(value.fields))[0]
                return graphql.ObjectFieldNode(name=node.name, value=graphql.ObjectValueNode(fields=(keep,)))

        return graphql.visit(document, Visitor())


@schemathesis.hook
def map_body(ctx, body):
    import graphql

    if ctx.operation is None or ctx.operation.label not in _SALE_MUTATIONS:
        return body
    if not isinstance(body, graphql.language.ast.Node):
        return body
    if ctx.operation.label == "Mutation.syncPush":
        body = _OneOfPayload.fix(body)
    # Choices below hang on a stable hash of the document, so a case
    # replays and shrinks the same.
    digest = zlib.crc32(graphql.print_ast(body).encode())
    if digest % 5 != 0:
        body = _fresh_ids(body, digest)
    if ctx.operation.label in _NEEDS_LINES and digest % 2 == 0:
        body = _tidy_tenders(body)
    return body


def _fresh_ids(document, digest):
    """A new sale, refund or void carries an id the terminal made (a
    UUID). Random strings are refused, and Hypothesis repeats the few it
    likes, so 4 cases in 5 get UUIDs derived from the document: a new
    document makes new records, and the same document sent again is a
    genuine retry (which the server must answer idempotently)."""
    import graphql

    count = [0]

    def fresh():
        count[0] += 1
        return str(uuid.UUID(int=(digest << 64 | count[0]) % 2**128, version=4))

    class Visitor(graphql.Visitor):
        def enter_object_value(self, node, *_):
            names = {f.name.value for f in node.fields}
            if "voidId" in names:
                key = "voidId"
            elif "refundId" in names:
                key = "refundId"
            elif "saleId" in names and "lines" in names:  # a sale, not a refund naming one
                key = "saleId"
            else:
                return None
            fields = tuple(
                graphql.ObjectFieldNode(name=f.name, value=graphql.StringValueNode(value=fresh()))
                if f.name.value == key
                else f
                for f in node.fields
            )
            return graphql.ObjectValueNode(fields=fields)

    return graphql.visit(document, Visitor())


_CARD_FIELDS = ("cardBrand", "cardLast4", "authReference", "reference")


def _tidy_tenders(document):
    """Tenders as a till sends them for a cash sale: every tender becomes
    CASH without card details, and the first one hands over enough to
    cover any total (the server works out the change). Random tenders
    almost never cover the total, so without this no sale gets recorded."""
    import graphql

    class Visitor(graphql.Visitor):
        first = True

        def enter_object_value(self, node, *_):
            names = {f.name.value for f in node.fields}
            if "method" not in names or "amount" not in names:
                return None
            fields = []
            for f in node.fields:
                if f.name.value in _CARD_FIELDS:
                    continue
                if f.name.value == "method":
                    f = graphql.ObjectFieldNode(name=f.name, value=graphql.EnumValueNode(value="CASH"))
                elif f.name.value == "amount" and Visitor.first:
                    f = graphql.ObjectFieldNode(name=f.name, value=graphql.StringValueNode(value="100000000"))
                fields.append(f)
            Visitor.first = False
            return graphql.ObjectValueNode(fields=tuple(fields))

    return graphql.visit(document, Visitor())


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
    errors = body.get("errors") or []
    if not isinstance(errors, list):
        errors = [errors]
    for error in errors:
        ext = error.get("extensions") if isinstance(error, dict) else None
        code = ext.get("code") if isinstance(ext, dict) else None
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
