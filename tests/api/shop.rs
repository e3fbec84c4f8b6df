//! A tenant set up to sell: a location in Amsterdam (tax-exclusive, EUR),
//! a 21 % tax group, a soda sold by the piece and cheese sold by the kg,
//! and a terminal with its device token.

use pos::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CREATE_PRODUCT, TestApp};

pub const SALE_FIELDS: &str = "id receiptNumber businessDate currency cashier listTotal discountTotal netTotal taxTotal total tendered change terminalTotal \
    lines { lineNo sku name unit quantity listPrice unitPrice pricingRuleIds listAmount discount net tax gross refundedQuantity refundableQuantity taxes { name percent amount } } \
    tenders { method amount change cardBrand cardLast4 authReference } taxes { name percent amount }";

pub fn record_sale() -> String {
    format!(
        "mutation($input: SalePayloadInput!, $at: DateTime) {{ recordSale(input: $input, createdAt: $at) {{ {SALE_FIELDS} }} }}"
    )
}

pub const REFUND_FIELDS: &str = "id receiptNumber saleId withoutReceipt reason businessDate total netTotal taxTotal discountTotal \
    lines { lineNo saleLineNo sku quantity unitPrice discount net tax gross taxes { name percent amount } } tenders { method amount }";

pub fn refund_sale() -> String {
    format!(
        "mutation($input: RefundPayloadInput!, $at: DateTime) {{ refundSale(input: $input, createdAt: $at) {{ {REFUND_FIELDS} }} }}"
    )
}

pub const VOID_SALE: &str = "mutation($input: VoidPayloadInput!, $at: DateTime) { voidSale(input: $input, createdAt: $at) { id saleId receiptNumber total businessDate } }";

pub struct Shop {
    pub app: TestApp,
    pub tenant: Uuid,
    pub owner: String,
    pub location: String,
    pub terminal: String,
    pub device: String,
    pub tax: String,
    pub soda: String,
    pub cheese: String,
}

impl Shop {
    pub async fn open() -> Self {
        let app = TestApp::spawn().await;
        let tenant = app.tenant("Acme").await;
        let owner = app.owner(tenant);
        let tax = app.tax_group(&owner, "VAT", "21").await;
        let location = app.create_location(&owner, "AMS1").await;
        let terminal = app.create_terminal(&owner, &location, "T1").await;
        let device = app.device_token(&owner, &terminal).await;
        let soda = app
            .variant(&owner, "SODA", 250, &tax, Some(("INTERNAL", "S1")))
            .await;
        let cheese = weighed_variant(&app, &owner, "CHEESE", 1299, &tax).await;
        Self {
            app,
            tenant,
            owner,
            location,
            terminal,
            device,
            tax,
            soda,
            cheese,
        }
    }

    /// Another terminal at the same location, with its device token.
    pub async fn another_terminal(&self, code: &str) -> (String, String) {
        let terminal = self
            .app
            .create_terminal(&self.owner, &self.location, code)
            .await;
        let device = self.app.device_token(&self.owner, &terminal).await;
        (terminal, device)
    }

    /// A device token of this shop's terminal carrying staff roles.
    pub fn device_as(&self, roles: &[Role]) -> String {
        self.app.device_token_as(
            self.tenant,
            "manager-7",
            roles,
            &self.terminal,
            &self.location,
        )
    }

    pub async fn sell(&self, device: &str, input: Value) -> Value {
        self.app
            .gql(device, &record_sale(), json!({ "input": input }))
            .await
    }

    pub async fn sell_at(&self, device: &str, input: Value, at: &str) -> Value {
        self.app
            .gql(device, &record_sale(), json!({ "input": input, "at": at }))
            .await
    }

    pub async fn refund(&self, device: &str, input: Value) -> Value {
        self.app
            .gql(device, &refund_sale(), json!({ "input": input }))
            .await
    }

    pub async fn void(&self, device: &str, input: Value) -> Value {
        self.app
            .gql(device, VOID_SALE, json!({ "input": input }))
            .await
    }

    /// Two sodas and 0.455 kg of cheese, paid 20.00 cash: the everyday
    /// sale of these tests.
    pub fn basket(&self) -> Value {
        json!({
            "saleId": Uuid::new_v4().to_string(),
            "lines": [
                { "variantId": self.soda, "quantity": "2", "barcode": "S1" },
                { "variantId": self.cheese, "quantity": "0.455" },
            ],
            "tenders": [{ "method": "CASH", "amount": "2000" }],
        })
    }
}

pub async fn weighed_variant(
    app: &TestApp,
    owner: &str,
    sku: &str,
    price: i64,
    tax: &str,
) -> String {
    let body = app
        .gql(
            owner,
            CREATE_PRODUCT,
            json!({ "input": {
                "name": format!("Product {sku}"),
                "variants": [{ "sku": sku, "name": "per kg", "basePrice": price.to_string(),
                               "taxGroupId": tax, "unit": "KG", "barcodes": [] }],
            } }),
        )
        .await;
    assert_eq!(
        body["data"]["createProduct"]["userErrors"],
        json!([]),
        "{body}"
    );
    let lookup = app
        .gql(
            owner,
            "query($sku: String) { variants(filter: { skuPrefix: $sku }) { edges { node { id sku } } } }",
            json!({ "sku": sku }),
        )
        .await;
    lookup["data"]["variants"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no variant: {lookup}"))
        .to_owned()
}

/// The `extensions.reason` of the first error.
pub fn reason(body: &Value) -> &str {
    body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or("<none>")
}
