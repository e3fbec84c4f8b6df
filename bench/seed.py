#!/usr/bin/env python3
"""Seeds a tenant's catalog through the GraphQL API for the lookup benchmark.

Creates one location, one tax group and N variants (100 per product), each
with an EAN-13 barcode, then writes the barcodes to a file, one per line,
and prints the location id.
"""
import argparse
import json
import urllib.request


def gtin_check(payload: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def gql(url, token, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(url, body, {"content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        data = json.loads(resp.read())
    if data.get("errors"):
        raise SystemExit(f"GraphQL errors: {data['errors']}")
    return data["data"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--variants", type=int, default=10_000)
    ap.add_argument("--barcodes", required=True)
    args = ap.parse_args()

    location = gql(args.url, args.token,
                   "mutation($i: CreateLocationInput!) { createLocation(input: $i) { id } }",
                   {"i": {"code": "BENCH", "name": "Bench store", "timeZone": "Europe/Amsterdam", "currency": "EUR",
                          "address": {"line1": "1 Bench St", "city": "Amsterdam", "country": "NL"}}})["createLocation"]["id"]
    tax = gql(args.url, args.token,
              "mutation($i: CreateTaxGroupInput!) { createTaxGroup(input: $i) { taxGroup { id } userErrors { message } } }",
              {"i": {"name": "VAT", "rates": [{"name": "VAT", "percent": "21"}]}})["createTaxGroup"]["taxGroup"]["id"]
    codes = []
    per_product = 100
    for p in range(0, args.variants, per_product):
        variants = []
        for i in range(p, min(p + per_product, args.variants)):
            payload = f"400{i:09d}"
            code = payload + gtin_check(payload)
            codes.append(code)
            variants.append({"sku": f"SKU-{i:06d}", "name": f"Item {i}", "basePrice": str(100 + i % 5000),
                             "taxGroupId": tax, "barcodes": [{"kind": "EAN_13", "code": code}]})
        result = gql(args.url, args.token,
                     "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } userErrors { field message } } }",
                     {"i": {"name": f"Product {p // per_product}", "category": "bench", "variants": variants}})
        if result["createProduct"]["userErrors"]:
            raise SystemExit(result["createProduct"]["userErrors"])
    with open(args.barcodes, "w") as f:
        f.write("\n".join(codes) + "\n")
    print(location)


if __name__ == "__main__":
    main()
