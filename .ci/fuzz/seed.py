"""Seeds a fresh tenant through the API so fuzzed operations can hit real
rows: a location, two terminals at it (T01 for the owner pass to fuzz, T02
whose device token drives the device pass, so the owner pass revoking T01
cannot lock the device pass out), a tax group, a product with one variant
and a barcode, and one sale recorded with T02's device token.

    python3 seed.py URL OWNER_TOKEN OUT_DIR

Writes, for hooks.py and run:
  OUT_DIR/ids           one id a line (the ID scalar's pool)
  OUT_DIR/strings       one string a line (cursors, codes, valid names)
  OUT_DIR/dict/NAME     Schemathesis dictionaries (schemathesis.toml)
  OUT_DIR/device-token  T02's device token
  OUT_DIR/seed.json     every id by name
Standard library only, so it runs on any Python 3.
"""

import json
import os
import sys
import urllib.error
import urllib.request
import uuid


def gql(url, token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            payload = json.load(resp)
    except urllib.error.HTTPError as err:
        sys.exit(f"seed: HTTP {err.code}: {err.read().decode(errors='replace')}")
    if payload.get("errors"):
        sys.exit(f"seed: {json.dumps(payload['errors'])}")
    data = payload["data"]
    for value in data.values():
        if isinstance(value, dict) and value.get("userErrors"):
            sys.exit(f"seed: {json.dumps(value['userErrors'])}")
    return data


def main():
    url, owner, out = sys.argv[1:4]
    ids = {}
    ids["location"] = gql(url, owner, """mutation {
      createLocation(input: {code: "AMS1", name: "Amsterdam", timeZone: "Europe/Amsterdam",
        currency: "USD", address: {line1: "Dam 1", city: "Amsterdam", country: "NL"}}) { id } }""")[
        "createLocation"]["id"]
    ids["terminal"] = gql(url, owner, """mutation($loc: ID!) {
      createTerminal(input: {locationId: $loc, code: "T01", name: "Till 1"}) { id } }""",
                          {"loc": ids["location"]})["createTerminal"]["id"]
    ids["deviceTerminal"] = gql(url, owner, """mutation($loc: ID!) {
      createTerminal(input: {locationId: $loc, code: "T02", name: "Till 2"}) { id } }""",
                                {"loc": ids["location"]})["createTerminal"]["id"]
    device = gql(url, owner, """mutation($t: ID!) {
      issueTerminalToken(terminalId: $t, ttlSeconds: 86400) { token } }""",
                 {"t": ids["deviceTerminal"]})["issueTerminalToken"]["token"]
    ids["taxGroup"] = gql(url, owner, """mutation {
      createTaxGroup(input: {name: "Standard", rates: [{name: "VAT", basisPoints: 2100}]}) {
        taxGroup { id } userErrors { message } } }""")["createTaxGroup"]["taxGroup"]["id"]
    product = gql(url, owner, """mutation($tg: ID!) {
      createProduct(input: {name: "Coffee", category: "drinks", variants: [{sku: "COF-1",
        name: "Coffee 250g", basePrice: "499", taxGroupId: $tg,
        barcodes: [{kind: EAN_13, code: "4006381333931"}]}]}) {
        product { id variants { edges { node { id } } } } userErrors { message } } }""",
                  {"tg": ids["taxGroup"]})["createProduct"]["product"]
    ids["product"] = product["id"]
    ids["variant"] = product["variants"]["edges"][0]["node"]["id"]
    sale_id = str(uuid.uuid4())
    # One sale through the device token, so sale/receipt/zReport queries
    # have a row; best effort: the input shape is the API's, not the seed's.
    try:
        ids["sale"] = gql(url, device, """mutation($in: SalePayloadInput!) {
          recordSale(input: $in) { id } }""", {"in": {
            "saleId": sale_id,
            "lines": [{"variantId": ids["variant"], "quantity": "1"}],
            "tenders": [{"method": "CASH", "amount": "605"}],
        }})["recordSale"]["id"]
    except SystemExit as err:
        print(f"seed: no sale recorded ({err})", file=sys.stderr)
    # Real cursors (and valid-looking values) for String arguments, so
    # `after:`/`since:` are sometimes ones the server issued.
    pages = gql(url, owner, """query($loc: ID!) {
      locations(first: 1) { pageInfo { endCursor } }
      products(first: 1) { pageInfo { endCursor } }
      variants(first: 1) { pageInfo { endCursor } }
      taxGroups(first: 1) { pageInfo { endCursor } }
      terminals(first: 1) { pageInfo { endCursor } }
      sales(first: 1) { pageInfo { endCursor } }
      catalogChanges(first: 1, locationId: $loc) { cursor } }""", {"loc": ids["location"]})
    strings = [p["pageInfo"]["endCursor"] for p in pages.values() if "pageInfo" in p]
    strings.append(pages["catalogChanges"]["cursor"])
    strings += ["AMS1", "T01", "Amsterdam", "Europe/Amsterdam", "America/New_York", "USD", "EUR",
                "NL", "US", "COF-1", "4006381333931", "96385074", "12345678", "VAT", "21", "0.5",
                "drinks", "Coffee"]
    with open(f"{out}/strings", "w") as f:
        f.write("\n".join(x for x in strings if x) + "\n")
    with open(f"{out}/ids", "w") as f:
        f.write("\n".join(ids.values()) + "\n")
    dicts = {
        "location": [ids["location"]],
        "terminal": [ids["terminal"], ids["deviceTerminal"]],
        "tax-group": [ids["taxGroup"]],
        "product": [ids["product"]],
        "variant": [ids["variant"]],
        "sale": [ids.get("sale", str(uuid.uuid4()))],
        "barcode": ["4006381333931"],
        "any-id": list(ids.values()),
    }
    os.makedirs(f"{out}/dict", exist_ok=True)
    for name, values in dicts.items():
        with open(f"{out}/dict/{name}", "w") as f:
            f.write("".join(json.dumps(v) + "\n" for v in values))
    with open(f"{out}/device-token", "w") as f:
        f.write(device)
    with open(f"{out}/seed.json", "w") as f:
        json.dump(ids, f, indent=2)
    print("seeded: " + ", ".join(f"{k}={v}" for k, v in ids.items()))


main()
