//! The catalog through GraphQL: validation with field-level errors,
//! barcodes, search, archiving and the change feed.

use serde_json::{Value, json};

use crate::helpers::{CREATE_PRODUCT, TestApp, code};

fn user_errors(body: &Value, mutation: &str) -> Value {
    body["data"][mutation]["userErrors"].clone()
}

#[tokio::test]
async fn bad_catalog_input_gets_field_level_errors_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let draft = |sku: &str, price: &str, tax: &str, barcode: Value| {
        json!({ "input": { "name": "Cola", "variants": [
            { "sku": sku, "name": "Cola 33cl", "basePrice": price, "taxGroupId": tax, "barcodes": [barcode] }
        ] } })
    };
    let good_code = json!({ "kind": "EAN_13", "code": "4006381333931" });

    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            draft(
                "COLA-1",
                "100",
                &tax,
                json!({ "kind": "EAN_13", "code": "4006381333932" }),
            ),
        )
        .await;
    let errors = user_errors(&body, "createProduct");
    assert_eq!(
        errors[0]["field"],
        json!(["variants", "0", "barcodes", "0", "code"]),
        "{body}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("expected 1"),
        "{body}"
    );
    assert_eq!(errors[0]["code"], "BAD_USER_INPUT");

    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            draft("COLA-1", "-5", &tax, good_code.clone()),
        )
        .await;
    assert_eq!(
        user_errors(&body, "createProduct")[0]["field"],
        json!(["variants", "0", "basePrice"]),
        "{body}"
    );

    let unknown_tax = uuid::Uuid::now_v7().to_string();
    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            draft("COLA-1", "100", &unknown_tax, good_code.clone()),
        )
        .await;
    assert_eq!(
        user_errors(&body, "createProduct")[0]["field"],
        json!(["variants", "0", "taxGroupId"]),
        "{body}"
    );

    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            draft("COLA-1", "100", &tax, good_code.clone()),
        )
        .await;
    assert_eq!(user_errors(&body, "createProduct"), json!([]), "{body}");
    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            draft(
                "COLA-1",
                "100",
                &tax,
                json!({ "kind": "INTERNAL", "code": "X1" }),
            ),
        )
        .await;
    assert_eq!(
        user_errors(&body, "createProduct")[0]["code"],
        "CONFLICT",
        "duplicate SKU: {body}"
    );
    // A clash names the input field that holds the taken value.
    assert_eq!(
        user_errors(&body, "createProduct")[0]["field"],
        json!(["variants", "0", "sku"]),
        "{body}"
    );
    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            draft("COLA-2", "100", &tax, good_code.clone()),
        )
        .await;
    assert_eq!(
        user_errors(&body, "createProduct")[0]["field"],
        json!(["variants", "0", "barcodes", "0", "code"]),
        "duplicate barcode: {body}"
    );

    // Only the one good product exists; the failed attempts left nothing.
    let products = app
        .gql(
            &owner,
            "{ products { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        products["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{products}"
    );
    let bad_rate = app
        .gql(
            &owner,
            "mutation { createTaxGroup(input: { name: \"Bad\", rates: [{ name: \"x\", percent: \"120\" }] }) { userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        bad_rate["data"]["createTaxGroup"]["userErrors"][0]["field"],
        json!(["rates", "0", "percent"])
    );
}

#[tokio::test]
async fn a_cashier_can_look_up_but_not_change_the_catalog() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let cashier = app.token(tenant, &[pos::auth::Role::Cashier]);
    let body = app
        .gql(&cashier, "mutation { createTaxGroup(input: { name: \"VAT\", rates: [{ name: \"VAT\", percent: \"21\" }] }) { taxGroup { id } } }", json!({}))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let tax = app.tax_group(&owner, "VAT", "21").await;
    app.variant(&owner, "SKU-1", 100, &tax, None).await;
    let listed = app
        .gql(
            &cashier,
            "{ variants { edges { node { sku } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["variants"]["edges"][0]["node"]["sku"],
        "SKU-1"
    );
}

#[tokio::test]
async fn search_finds_by_name_sku_prefix_barcode_and_attribute() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let attr = app
        .gql(
            &owner,
            "mutation { createAttributeDefinition(input: { code: \"colour\", name: \"Colour\", type: ENUM, allowedValues: [\"red\", \"blue\"] }) { attributeDefinition { code } userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        attr["data"]["createAttributeDefinition"]["attributeDefinition"]["code"], "COLOUR",
        "{attr}"
    );
    let red = app
        .variant(
            &owner,
            "TEE-RED-M",
            1500,
            &tax,
            Some(("UPC_A", "036000291452")),
        )
        .await;
    let blue = app.variant(&owner, "TEE-BLUE-M", 1500, &tax, None).await;
    app.variant(&owner, "MUG-1", 800, &tax, None).await;
    let set = |id: &str, value: &str| json!({ "id": id, "input": { "attributes": [{ "code": "colour", "value": value }] } });
    let update = "mutation($id: ID!, $input: UpdateVariantInput!) { updateVariant(id: $id, input: $input) { variant { attributes { code value } } userErrors { field message } } }";
    let body = app.gql(&owner, update, set(&red, "red")).await;
    assert_eq!(
        body["data"]["updateVariant"]["variant"]["attributes"],
        json!([{ "code": "COLOUR", "value": "red" }])
    );
    let body = app.gql(&owner, update, set(&blue, "green")).await;
    assert_eq!(
        body["data"]["updateVariant"]["userErrors"][0]["field"],
        json!(["attributes", "0", "value"]),
        "{body}"
    );
    app.gql(&owner, update, set(&blue, "blue")).await;

    let skus = |filter: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            let body = app
                .gql(
                    &owner,
                    "query($f: CatalogSearch) { variants(filter: $f) { edges { node { sku } } } }",
                    json!({ "f": filter }),
                )
                .await;
            let mut skus: Vec<String> = body["data"]["variants"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"))
                .iter()
                .map(|e| e["node"]["sku"].as_str().unwrap().to_owned())
                .collect();
            skus.sort();
            skus
        }
    };
    assert_eq!(
        skus(json!({ "skuPrefix": "TEE-" })).await,
        vec!["TEE-BLUE-M", "TEE-RED-M"]
    );
    assert_eq!(
        skus(json!({ "search": "product mug" })).await,
        vec!["MUG-1"]
    );
    // The UPC-A as its EAN-13 spelling.
    assert_eq!(
        skus(json!({ "barcode": "0036000291452" })).await,
        vec!["TEE-RED-M"]
    );
    assert_eq!(
        skus(json!({ "attribute": { "code": "COLOUR", "value": "blue" } })).await,
        vec!["TEE-BLUE-M"]
    );
    assert_eq!(
        skus(json!({ "attribute": { "code": "NOPE", "value": "blue" } })).await,
        Vec::<String>::new()
    );
    // The category is the product's, as `products` filters it.
    assert_eq!(
        skus(json!({ "category": "grocery" })).await,
        vec!["MUG-1", "TEE-BLUE-M", "TEE-RED-M"]
    );
    assert_eq!(
        skus(json!({ "category": "nosuchcategory" })).await,
        Vec::<String>::new()
    );
    // An ENUM's values can grow, but not lose one still in use.
    let defs = app
        .gql(
            &owner,
            "{ attributeDefinitions { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let attr_id = defs["data"]["attributeDefinitions"]["edges"][0]["node"]["id"].clone();
    let update = "mutation($id: ID!, $v: [String!]) { updateAttributeDefinition(id: $id, allowedValues: $v) { attributeDefinition { allowedValues } userErrors { code message } } }";
    let grown = app
        .gql(
            &owner,
            update,
            json!({ "id": attr_id, "v": ["red", "blue", "green"] }),
        )
        .await;
    assert_eq!(
        grown["data"]["updateAttributeDefinition"]["attributeDefinition"]["allowedValues"],
        json!(["red", "blue", "green"])
    );
    let shrunk = app
        .gql(
            &owner,
            update,
            json!({ "id": attr_id, "v": ["red", "green"] }),
        )
        .await;
    assert_eq!(
        shrunk["data"]["updateAttributeDefinition"]["userErrors"][0]["code"], "CONFLICT",
        "{shrunk}"
    );
    let products = app
        .gql(
            &owner,
            "{ products(filter: { skuPrefix: \"MUG\" }) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        products["data"]["products"]["edges"],
        json!([{ "node": { "name": "Product MUG-1" } }])
    );
}

#[tokio::test]
async fn a_barcode_belongs_to_one_variant_until_moved_explicitly() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let location = app.create_location(&owner, "AMS1").await;
    let first = app
        .variant(&owner, "A", 100, &tax, Some(("EAN_13", "4006381333931")))
        .await;
    let second = app.variant(&owner, "B", 200, &tax, None).await;
    let add = app
        .gql(
            &owner,
            "mutation($v: ID!) { addBarcode(variantId: $v, kind: EAN_13, code: \"4006381333931\") { barcode { code } userErrors { code message field } } }",
            json!({ "v": second }),
        )
        .await;
    assert_eq!(
        add["data"]["addBarcode"]["userErrors"][0]["code"], "CONFLICT",
        "{add}"
    );
    assert_eq!(
        add["data"]["addBarcode"]["userErrors"][0]["field"],
        json!(["code"])
    );
    assert_eq!(
        app.scan(&owner, "4006381333931", Some(&location)).await["data"]["productByBarcode"]["variant"]
            ["id"],
        first
    );

    let moved = app
        .gql(
            &owner,
            "mutation($v: ID!) { moveBarcode(kind: EAN_13, code: \"4006381333931\", toVariantId: $v) { barcode { variant { sku } } userErrors { message } } }",
            json!({ "v": second }),
        )
        .await;
    assert_eq!(
        moved["data"]["moveBarcode"]["barcode"]["variant"]["sku"], "B",
        "{moved}"
    );
    let scanned = app.scan(&owner, "4006381333931", Some(&location)).await;
    assert_eq!(
        scanned["data"]["productByBarcode"]["variant"]["id"], second,
        "the cache saw the move: {scanned}"
    );
}

#[tokio::test]
async fn archived_items_stop_scanning_but_stay_readable() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let location = app.create_location(&owner, "AMS1").await;
    let variant = app
        .variant(&owner, "A", 100, &tax, Some(("INTERNAL", "PLU-42")))
        .await;
    assert!(
        app.scan(&owner, "PLU-42", Some(&location)).await["data"]["productByBarcode"].is_object()
    );
    let archived = app
        .gql(
            &owner,
            "mutation($id: ID!) { archiveVariant(id: $id) { variant { status } } }",
            json!({ "id": variant }),
        )
        .await;
    assert_eq!(
        archived["data"]["archiveVariant"]["variant"]["status"],
        "ARCHIVED"
    );
    assert!(
        app.scan(&owner, "PLU-42", Some(&location)).await["data"]["productByBarcode"].is_null()
    );
    let read = app
        .gql(
            &owner,
            "query($id: ID!) { variant(id: $id) { sku status barcodes { code } } }",
            json!({ "id": variant }),
        )
        .await;
    assert_eq!(
        read["data"]["variant"],
        json!({ "sku": "A", "status": "ARCHIVED", "barcodes": [{ "code": "PLU-42" }] })
    );
}

#[tokio::test]
async fn every_catalog_write_advances_the_change_feed() {
    use entity::catalog_change;
    use sea_orm::QueryOrder;
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let variant = app
        .variant(&owner, "A", 100, &tax, Some(("INTERNAL", "PLU-1")))
        .await;
    app.gql(
        &owner,
        "mutation($id: ID!) { archiveVariant(id: $id) { variant { id } } }",
        json!({ "id": variant }),
    )
    .await;
    let session = pos::auth::Session {
        tenant,
        subject: "t".into(),
        roles: vec![],
        terminal: None,
        location: None,
    };
    let tx = app.state.db.read(&session).await.unwrap();
    let feed = tx
        .select::<catalog_change::Entity>()
        .order_by_asc(catalog_change::Column::Version)
        .all(&tx)
        .await
        .unwrap();
    let versions: Vec<i64> = feed.iter().map(|c| c.version).collect();
    assert_eq!(*versions.first().unwrap(), 1);
    assert_eq!(*versions.last().unwrap(), 3, "three writes: {feed:?}");
    let tombstone = feed.iter().find(|c| c.version == 3).unwrap();
    assert_eq!(
        (tombstone.entity.as_str(), tombstone.deleted),
        ("VARIANT", true)
    );
    assert!(
        feed.iter()
            .any(|c| c.entity == "BARCODE" && c.entity_id == "X:PLU-1" && c.version == 2)
    );
}

#[test]
fn catalog_joins_match_on_the_tenant() {
    use entity::{product, tax_group, variant};
    use sea_orm::{DbBackend, EntityTrait, QueryTrait};
    let sql = variant::Entity::find()
        .find_also_related(product::Entity)
        .find_also_related(tax_group::Entity)
        .build(DbBackend::Postgres)
        .to_string();
    assert!(
        sql.contains(r#""variants"."tenant_id" = "products"."tenant_id""#),
        "{sql}"
    );
    assert!(
        sql.contains(r#""variants"."tenant_id" = "tax_groups"."tenant_id""#),
        "{sql}"
    );
}

#[tokio::test]
async fn archived_tax_groups_rules_and_attributes_stop_applying() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    app.variant(&owner, "A", 1000, &tax, Some(("INTERNAL", "A1")))
        .await;
    let rule = app
        .gql(&owner, "mutation { createPricingRule(input: { name: \"Half\", adjustment: PERCENT_OFF, value: \"50\" }) { pricingRule { id } } }", json!({}))
        .await["data"]["createPricingRule"]["pricingRule"]["id"]
        .clone();
    let unit = |body: Value| body["data"]["productByBarcode"]["unitPrice"]["amount"].clone();
    assert_eq!(unit(app.scan(&owner, "A1", Some(&location)).await), "500");

    let archive_rule = "mutation($id: ID!) { archivePricingRule(id: $id) { pricingRule { status } userErrors { code } } }";
    for _ in 0..2 {
        let body = app.gql(&owner, archive_rule, json!({ "id": rule })).await;
        assert_eq!(
            body["data"]["archivePricingRule"]["pricingRule"]["status"], "ARCHIVED",
            "{body}"
        );
    }
    assert_eq!(unit(app.scan(&owner, "A1", Some(&location)).await), "1000");

    let archived = app
        .gql(
            &owner,
            "mutation($id: ID!) { archiveTaxGroup(id: $id) { taxGroup { status } } }",
            json!({ "id": tax }),
        )
        .await;
    assert_eq!(
        archived["data"]["archiveTaxGroup"]["taxGroup"]["status"],
        "ARCHIVED"
    );
    let body = app
        .gql(
            &owner,
            CREATE_PRODUCT,
            json!({ "input": { "name": "B", "variants": [{ "sku": "B", "name": "B", "basePrice": "1", "taxGroupId": tax }] } }),
        )
        .await;
    assert_eq!(
        user_errors(&body, "createProduct")[0]["field"],
        json!(["variants", "0", "taxGroupId"]),
        "{body}"
    );
    // The existing variant keeps its (archived) group and still sells.
    assert_eq!(unit(app.scan(&owner, "A1", Some(&location)).await), "1000");

    let attr = app
        .gql(&owner, "mutation { createAttributeDefinition(input: { code: \"ORGANIC\", name: \"Organic\", type: BOOLEAN }) { attributeDefinition { id } } }", json!({}))
        .await["data"]["createAttributeDefinition"]["attributeDefinition"]["id"]
        .clone();
    app.gql(&owner, "mutation($id: ID!) { archiveAttributeDefinition(id: $id) { attributeDefinition { status } } }", json!({ "id": attr }))
        .await;
    let products = app
        .gql(&owner, "{ products { edges { node { id } } } }", json!({}))
        .await;
    let product = products["data"]["products"]["edges"][0]["node"]["id"].clone();
    let body = app
        .gql(
            &owner,
            "mutation($id: ID!) { updateProduct(id: $id, input: { attributes: [{ code: \"ORGANIC\", value: \"true\" }] }) { userErrors { field } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProduct"]["userErrors"][0]["field"],
        json!(["attributes", "0", "code"]),
        "{body}"
    );

    let missing = app
        .gql(
            &owner,
            archive_rule,
            json!({ "id": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(
        missing["data"]["archivePricingRule"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn every_user_error_names_the_input_at_fault() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let variant = app
        .variant(&owner, "A", 100, &tax, Some(("EAN_13", "4006381333931")))
        .await;
    let nobody = uuid::Uuid::now_v7().to_string();
    let field = |body: &Value, mutation: &str| {
        let errors = user_errors(body, mutation);
        assert_eq!(errors[0]["code"], "NOT_FOUND", "{body}");
        errors[0]["field"].clone()
    };
    let body = app
        .gql(
            &owner,
            "mutation($id: ID!) { updateVariant(id: $id, input: { name: \"x\" }) { userErrors { field code } } }",
            json!({ "id": nobody }),
        )
        .await;
    assert_eq!(field(&body, "updateVariant"), json!(["id"]));
    let body = app
        .gql(
            &owner,
            "mutation($v: ID!) { addBarcode(variantId: $v, kind: INTERNAL, code: \"Z1\") { userErrors { field code } } }",
            json!({ "v": nobody }),
        )
        .await;
    assert_eq!(field(&body, "addBarcode"), json!(["variantId"]));
    let body = app
        .gql(
            &owner,
            "mutation($v: ID!, $l: ID!) { setLocationPrice(variantId: $v, locationId: $l, price: \"1\") { userErrors { field code } } }",
            json!({ "v": variant, "l": nobody }),
        )
        .await;
    assert_eq!(field(&body, "setLocationPrice"), json!(["locationId"]));
    let body = app
        .gql(
            &owner,
            "mutation { removeBarcode(kind: INTERNAL, code: \"NOPE\") { userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(field(&body, "removeBarcode"), json!(["code"]));
}
