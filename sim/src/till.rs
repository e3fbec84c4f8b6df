//! One terminal: it pulls its catalog, sells, refunds (its own sales and
//! other terminals'), voids, goes offline and back, and pushes its event
//! log in batches, sometimes out of order, sometimes twice. It keeps every
//! event and what the server answered for it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::client::{CallError, Client, amount};
use crate::money::{extend, inclusive_tax, percent_ppm, quantity};
use crate::stats::{Stats, add};

const PUSH: &str = "mutation Push($events: [SalesEventInput!]!) { syncPush(events: $events) { results { sequence status originalStatus code message } appliedThrough } }";
const SCAN: &str = "query Scan($b: String!) { productByBarcode(barcode: $b) { variant { id } unitPrice { amount } } }";
const PULL: &str = "query Pull($since: String) { catalogChanges(since: $since, first: 100) { cursor hasMore changes { entity id deleted variant { id sku basePrice unit status trackStock barcodes { code } taxGroup { rates { percent } } } locationPrice { variantId locationId price } } } }";

/// The float each till's drawer opens with, in cents.
const FLOAT: i64 = 20_000;

/// How each terminal behaves.
#[derive(Clone)]
pub struct Plan {
    pub sales: usize,
    pub pace: Duration,
    pub batch: usize,
    /// Chance, per sale, that the terminal goes offline for a while.
    pub offline: f64,
    /// Chance, per push, of reordering, holding one back, adding
    /// duplicates or sending the batch twice.
    pub chaos: f64,
    /// How long a terminal keeps trying to push what is not acknowledged.
    pub drain: Duration,
    /// Stop selling after this long, even before `sales`.
    pub selling_for: Option<Duration>,
    /// Chance, per sale, that an online terminal looks a barcode up
    /// through the API (and checks the price against its catalog).
    pub lookups: f64,
    /// A herd: each terminal starts (pulls its catalog, then sells) at a
    /// random moment within this long, instead of at once.
    pub start_within: Option<Duration>,
}

/// A sellable item as the terminal knows it from its catalog pull.
struct Item {
    id: String,
    price: i64,
    weighed: bool,
    ppm: i64,
    barcode: Option<String>,
    /// The variant keeps stock.
    tracked: bool,
}

/// A receipt a customer may bring back to any till of the store.
pub struct Receipt {
    sale: String,
    terminal: String,
    lines: Vec<ReceiptLine>,
}

struct ReceiptLine {
    no: i64,
    /// The variant, if it keeps stock.
    tracked: Option<String>,
    milli: i64,
    amount: i64,
    tax: i64,
    refunded: bool,
}

pub type Pool = Arc<Mutex<VecDeque<Receipt>>>;

/// What an event should have made in the ledger.
#[derive(Clone, Debug)]
pub enum Record {
    Sale {
        id: String,
        date: NaiveDate,
        total: i64,
        tax: i64,
        /// Net money in per method (cash less change).
        tenders: Vec<(&'static str, i64)>,
    },
    Refund {
        id: String,
        sale: String,
        date: NaiveDate,
        total: i64,
        tax: i64,
    },
    Void {
        id: String,
        sale: String,
        date: NaiveDate,
        total: i64,
        tenders: Vec<(&'static str, i64)>,
    },
    /// Goods received, or the drawer's shift and cash: checked by their
    /// effect on stock levels and shifts, not as ledger records.
    Floor,
}

pub struct Logged {
    event: Value,
    /// The first answer that acknowledged the event.
    pub ack: Option<String>,
    pub record: Record,
    /// What the event does to stock at the till's location, by variant,
    /// in thousandths.
    pub stock: Vec<(String, i64)>,
}

impl Logged {
    /// The event's type: `SALE`, `STOCK_COUNT`…
    pub fn kind(&self) -> &str {
        self.event["type"].as_str().unwrap_or_default()
    }
}

/// The till's drawer as the till itself counts it.
#[derive(Default, Clone, Debug)]
pub struct Drawer {
    pub shift: String,
    /// Float, plus cash in, less cash out: what should be there.
    pub expected: i64,
    /// What the till says it counted at the close.
    pub counted: i64,
}

pub struct Till {
    pub id: String,
    token: String,
    pub zone: Tz,
    pub location: String,
    pub drawer: Drawer,
    /// Sales not voided, by id: their tracked lines and cash, for a void.
    open_sales: HashMap<String, (Vec<(String, i64)>, i64)>,
    client: Client,
    items: Vec<Item>,
    pool: Pool,
    pub log: Vec<Logged>,
    rng: fastrand::Rng,
    stats: Arc<Stats>,
    plan: Plan,
    offline_until: Instant,
    backoff: Duration,
    last_push: Instant,
}

impl Till {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        token: String,
        zone: Tz,
        location: String,
        client: Client,
        pool: Pool,
        stats: Arc<Stats>,
        plan: Plan,
        seed: u64,
    ) -> Self {
        Self {
            id,
            token,
            zone,
            location,
            client,
            items: Vec::new(),
            drawer: Drawer::default(),
            open_sales: HashMap::new(),
            pool,
            log: Vec::new(),
            rng: fastrand::Rng::with_seed(seed),
            stats,
            plan,
            offline_until: Instant::now(),
            backoff: Duration::from_millis(50),
            last_push: Instant::now(),
        }
    }

    /// Sells the plan's sales, then pushes until everything is
    /// acknowledged or the drain time runs out.
    pub async fn run(mut self) -> Result<Self, CallError> {
        if let Some(within) = self.plan.start_within {
            tokio::time::sleep(within.mul_f64(self.rng.f64())).await;
        }
        self.pull().await?;
        if self.items.is_empty() {
            return Err(CallError::Refused(format!(
                "terminal {}: an empty catalog",
                self.id
            )));
        }
        self.open_shift();
        let selling_until = self.plan.selling_for.map(|d| Instant::now() + d);
        for _ in 0..self.plan.sales {
            if selling_until.is_some_and(|t| Instant::now() >= t) {
                break;
            }
            let pace = self.plan.pace.mul_f64(0.5 + self.rng.f64());
            tokio::time::sleep(pace).await;
            if self.online() && self.rng.f64() < self.plan.offline {
                add(&self.stats.offline_spells, 1);
                self.offline_until =
                    Instant::now() + Duration::from_millis(200 + self.rng.u64(..2_000));
            }
            if self.online() && self.rng.f64() < self.plan.lookups {
                self.scan().await;
            }
            self.sell();
            if self.rng.u8(..25) == 0 {
                self.move_cash();
            }
            let unacked = self.log.iter().filter(|l| l.ack.is_none()).count();
            if self.online()
                && (unacked >= self.plan.batch
                    || self.last_push.elapsed() > Duration::from_millis(300))
            {
                self.push_some().await;
            }
        }
        self.close_shift();
        let deadline = Instant::now() + self.plan.drain;
        while self.log.iter().any(|l| l.ack.is_none()) && Instant::now() < deadline {
            let wait = self.offline_until.saturating_duration_since(Instant::now());
            tokio::time::sleep(wait).await;
            self.push_some().await;
        }
        Ok(self)
    }

    fn online(&self) -> bool {
        Instant::now() >= self.offline_until
    }

    /// Reads the whole catalog for this terminal's store.
    async fn pull(&mut self) -> Result<(), CallError> {
        let mut since = Value::Null;
        let mut variants: HashMap<String, Item> = HashMap::new();
        let mut store_prices: HashMap<String, i64> = HashMap::new();
        loop {
            let data = self
                .client
                .call_retrying(
                    &self.token,
                    PULL,
                    json!({ "since": since }),
                    self.plan.drain,
                )
                .await?;
            let page = &data["catalogChanges"];
            for change in page["changes"].as_array().into_iter().flatten() {
                let deleted = change["deleted"].as_bool().unwrap_or(false);
                let id = change["id"].as_str().unwrap_or_default();
                match change["entity"].as_str() {
                    Some("VARIANT") => {
                        let v = &change["variant"];
                        // The price watch's item is not for sale.
                        let watched = v["sku"].as_str().is_some_and(|s| s.starts_with("WATCH-"));
                        if deleted || watched || v["status"] != "ACTIVE" {
                            variants.remove(id);
                            continue;
                        }
                        let ppm = v["taxGroup"]["rates"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|r| percent_ppm(r["percent"].as_str()?))
                            .sum();
                        variants.insert(
                            id.to_owned(),
                            Item {
                                id: id.to_owned(),
                                price: amount(&v["basePrice"]),
                                weighed: v["unit"] != "EACH",
                                ppm,
                                barcode: v["barcodes"][0]["code"].as_str().map(str::to_owned),
                                tracked: v["trackStock"] == true,
                            },
                        );
                    }
                    Some("LOCATION_PRICE") => {
                        let variant = id.split(':').next().unwrap_or_default().to_owned();
                        let p = &change["locationPrice"];
                        if deleted || p.is_null() {
                            store_prices.remove(&variant);
                        } else if p["locationId"] == self.location.as_str() {
                            store_prices.insert(variant, amount(&p["price"]));
                        }
                    }
                    _ => {}
                }
            }
            since = page["cursor"].clone();
            if page["hasMore"] != true {
                break;
            }
        }
        let mut items: Vec<Item> = variants.into_values().collect();
        for item in &mut items {
            if let Some(p) = store_prices.get(&item.id) {
                item.price = *p;
            }
        }
        items.sort_by(|a, b| a.id.cmp(&b.id));
        self.items = items;
        Ok(())
    }

    /// Looks a barcode up as a scan would, when the terminal is online.
    async fn scan(&mut self) {
        let scannable: Vec<usize> = (0..self.items.len())
            .filter(|&i| self.items[i].barcode.is_some())
            .collect();
        let Some(&i) = scannable.get(self.rng.usize(..scannable.len().max(1))) else {
            return;
        };
        let item = &self.items[i];
        add(&self.stats.lookups, 1);
        let started = Instant::now();
        let answer = self
            .client
            .call(&self.token, SCAN, json!({ "b": item.barcode }))
            .await;
        match answer {
            Ok(data) => {
                self.stats.lookup_latency(started.elapsed());
                let found = &data["productByBarcode"];
                let price = amount(&found["unitPrice"]["amount"]);
                if found["variant"]["id"] != item.id.as_str() || price != item.price {
                    self.stats.problem(format!(
                        "terminal {}: scan of {:?} gave {found}, expected {} at {}",
                        self.id, item.barcode, item.id, item.price
                    ));
                }
            }
            Err(e) => {
                add(&self.stats.failed_lookups, 1);
                if let CallError::Refused(m) = e {
                    self.stats
                        .problem(format!("terminal {}: scan refused: {m}", self.id));
                }
            }
        }
    }

    fn log_event(&mut self, kind: &str, payload: Value, at: chrono::DateTime<Utc>, record: Record) {
        self.log_moving(kind, payload, at, record, Vec::new());
    }

    /// Logs an event that also moves stock (`stock`: variant, signed
    /// thousandths).
    fn log_moving(
        &mut self,
        kind: &str,
        payload: Value,
        at: chrono::DateTime<Utc>,
        record: Record,
        stock: Vec<(String, i64)>,
    ) {
        let seq = self.log.len() as i64 + 1;
        // `SHIFT_OPEN` travels as `shiftOpen`, `SALE` as `sale`.
        let field: String = kind
            .split('_')
            .enumerate()
            .map(|(i, w)| {
                let w = w.to_lowercase();
                if i == 0 {
                    w
                } else {
                    w[..1].to_uppercase() + &w[1..]
                }
            })
            .collect();
        let event = json!({
            "terminalId": self.id,
            // Sent as old terminals do, and ignored: the tenant is the token's.
            "tenantId": uuid::Uuid::now_v7().to_string(),
            "sequence": seq,
            "type": kind,
            "payload": { field: payload },
            "createdAt": at.to_rfc3339(),
        });
        self.log.push(Logged {
            event,
            ack: None,
            record,
            stock,
        });
    }

    /// Opens the drawer with its float, and takes in a delivery of some
    /// tracked items.
    fn open_shift(&mut self) {
        let shift = uuid::Uuid::now_v7().to_string();
        self.drawer = Drawer {
            shift: shift.clone(),
            expected: FLOAT,
            counted: 0,
        };
        self.log_event(
            "SHIFT_OPEN",
            json!({ "shiftId": shift, "float": FLOAT.to_string() }),
            Utc::now(),
            Record::Floor,
        );
        let tracked: Vec<&Item> = self.items.iter().filter(|i| i.tracked).take(5).collect();
        if tracked.is_empty() {
            return;
        }
        let lines: Vec<(String, i64)> = tracked.iter().map(|i| (i.id.clone(), 20_000)).collect();
        let payload = json!({
            "receiptId": uuid::Uuid::now_v7().to_string(),
            "supplierReference": format!("DN-{}", self.rng.u32(1000..9999)),
            "lines": lines.iter().map(|(v, q)| json!({ "variantId": v, "quantity": quantity(*q), "unitCost": "50" })).collect::<Vec<_>>(),
        });
        self.log_moving("STOCK_RECEIVE", payload, Utc::now(), Record::Floor, lines);
        add(&self.stats.stock_receipts, 1);
    }

    /// A stock take of one tracked item, now and then: it finds 10. What
    /// the count moves depends on what the store's other tills sold
    /// before it is applied, so the check at the end reads it from the
    /// server (`floor::stock`).
    fn count_stock(&mut self) {
        let tracked: Vec<String> = self
            .items
            .iter()
            .filter(|i| i.tracked)
            .map(|i| i.id.clone())
            .collect();
        if tracked.is_empty() || self.rng.u8(..3) != 0 {
            return;
        }
        let variant = &tracked[self.rng.usize(..tracked.len())];
        let payload = json!({
            "countId": uuid::Uuid::now_v7().to_string(),
            "note": "shelf check",
            "lines": [{ "variantId": variant, "quantity": "10" }],
        });
        self.log_event("STOCK_COUNT", payload, Utc::now(), Record::Floor);
        add(&self.stats.stock_counts, 1);
    }

    /// A pay-in, pay-out or drop, now and then.
    fn move_cash(&mut self) {
        let (kind, amount) = match self.rng.u8(..3) {
            0 => ("PAY_IN", 1_000 + self.rng.i64(0..4_000)),
            1 => ("PAY_OUT", 100 + self.rng.i64(0..1_900)),
            _ => ("DROP", 5_000),
        };
        let out = kind != "PAY_IN";
        if out && self.drawer.expected < amount {
            return;
        }
        self.drawer.expected += if out { -amount } else { amount };
        self.log_event(
            "CASH_MOVEMENT",
            json!({ "movementId": uuid::Uuid::now_v7().to_string(), "shiftId": self.drawer.shift,
                    "kind": kind, "amount": amount.to_string(), "reason": "simulated" }),
            Utc::now(),
            Record::Floor,
        );
        add(&self.stats.cash_movements, 1);
    }

    /// Counts the drawer (sometimes a little off) and closes the shift.
    fn close_shift(&mut self) {
        self.count_stock();
        let off = [0, 0, 0, -100, 50][self.rng.usize(..5)];
        self.drawer.counted = (self.drawer.expected + off).max(0);
        self.log_event(
            "SHIFT_CLOSE",
            json!({ "shiftId": self.drawer.shift, "counted": self.drawer.counted.to_string() }),
            Utc::now(),
            Record::Floor,
        );
    }

    /// A basket: 1–8 lines, some weighed, some discounted, paid by card,
    /// cash or both; sometimes voided at once, sometimes followed by a
    /// refund of an earlier receipt of the store.
    fn sell(&mut self) {
        let at = Utc::now();
        let date = at.with_timezone(&self.zone).date_naive();
        let sale = uuid::Uuid::now_v7().to_string();
        let (mut lines, mut receipt_lines) = (Vec::new(), Vec::new());
        let (mut total, mut tax) = (0, 0);
        for no in 1..=1 + self.rng.i64(0..8) {
            let item = &self.items[self.rng.usize(..self.items.len())];
            let milli = if item.weighed {
                100 + self.rng.i64(0..1_900)
            } else if self.rng.u8(..4) == 0 {
                1_000 * (2 + self.rng.i64(0..3))
            } else {
                1_000
            };
            let list = extend(item.price, milli);
            let discount = if self.rng.u8(..10) == 0 { list / 10 } else { 0 };
            let line_amount = list - discount;
            let line_tax = inclusive_tax(line_amount, item.ppm);
            total += line_amount;
            tax += line_tax;
            let mut line = json!({
                "variantId": item.id,
                "quantity": quantity(milli),
                "unitPrice": item.price.to_string(),
            });
            if let Some(code) = &item.barcode {
                line["barcode"] = json!(code);
            }
            if discount > 0 {
                line["discount"] = json!(discount.to_string());
            }
            lines.push(line);
            receipt_lines.push(ReceiptLine {
                no,
                tracked: item.tracked.then(|| item.id.clone()),
                milli,
                amount: line_amount,
                tax: line_tax,
                refunded: false,
            });
        }
        let (tenders, net) = match self.rng.u8(..4) {
            0 | 1 => (
                vec![
                    json!({ "method": "CARD", "amount": total.to_string(), "cardBrand": "VISA", "cardLast4": "4242" }),
                ],
                vec![("CARD", total)],
            ),
            2 => {
                let cash = total.div_euclid(500) * 500 + 500;
                (
                    vec![json!({ "method": "CASH", "amount": cash.to_string() })],
                    vec![("CASH", total)],
                )
            }
            _ => {
                let card = total / 2;
                let cash = (total - card).div_euclid(100) * 100 + 100;
                (
                    vec![
                        json!({ "method": "CARD", "amount": card.to_string(), "cardBrand": "MASTERCARD", "cardLast4": "5454" }),
                        json!({ "method": "CASH", "amount": cash.to_string() }),
                    ],
                    vec![("CARD", card), ("CASH", total - card)],
                )
            }
        };
        let sold: Vec<(String, i64)> = receipt_lines
            .iter()
            .filter_map(|l| Some((l.tracked.clone()?, -l.milli)))
            .collect();
        let cash: i64 = net
            .iter()
            .filter(|(m, _)| *m == "CASH")
            .map(|(_, a)| a)
            .sum();
        self.drawer.expected += cash;
        self.open_sales.insert(sale.clone(), (sold.clone(), cash));
        self.log_moving(
            "SALE",
            json!({ "saleId": sale, "lines": lines, "tenders": tenders,
                    "terminalTotal": total.to_string(), "terminalTax": tax.to_string() }),
            at,
            Record::Sale {
                id: sale.clone(),
                date,
                total,
                tax,
                tenders: net.clone(),
            },
            sold,
        );
        add(&self.stats.sales, 1);
        let void_at = at + chrono::Duration::seconds(1);
        // A sale is voided only on its own business day (refunded after).
        if self.rng.u8(..50) == 0 && void_at.with_timezone(&self.zone).date_naive() == date {
            let void = uuid::Uuid::now_v7().to_string();
            let at = void_at;
            let (taken, cash) = self.open_sales.remove(&sale).unwrap_or_default();
            self.drawer.expected -= cash;
            let back = taken.into_iter().map(|(v, q)| (v, -q)).collect();
            self.log_moving(
                "VOID",
                json!({ "voidId": void, "saleId": sale, "reason": "customer changed their mind" }),
                at,
                Record::Void {
                    id: void,
                    sale,
                    date: at.with_timezone(&self.zone).date_naive(),
                    total,
                    tenders: net,
                },
                back,
            );
            add(&self.stats.voids, 1);
        } else if let Ok(mut pool) = self.pool.lock() {
            pool.push_back(Receipt {
                sale,
                terminal: self.id.clone(),
                lines: receipt_lines,
            });
            if pool.len() > 200 {
                pool.pop_front();
            }
        }
        if self.rng.u8(..20) == 0 {
            self.refund(at + chrono::Duration::seconds(2));
        }
    }

    /// Returns whole lines of a receipt of this store, picked at random.
    fn refund(&mut self, at: chrono::DateTime<Utc>) {
        let Ok(mut pool) = self.pool.lock() else {
            return;
        };
        if pool.is_empty() {
            return;
        }
        let pick = self.rng.usize(..pool.len());
        let receipt = &mut pool[pick];
        let open: Vec<usize> = (0..receipt.lines.len())
            .filter(|&i| !receipt.lines[i].refunded)
            .collect();
        let Some(&first) = open.first() else { return };
        let mut chosen: Vec<usize> = open.into_iter().filter(|_| self.rng.bool()).collect();
        if chosen.is_empty() {
            chosen.push(first);
        }
        let (mut total, mut tax, mut lines, mut back) = (0, 0, Vec::new(), Vec::new());
        for i in chosen {
            let line = &mut receipt.lines[i];
            line.refunded = true;
            total += line.amount;
            tax += line.tax;
            // Some goods go back on the shelf.
            let restock = self.rng.bool();
            if let (true, Some(v)) = (restock, &line.tracked) {
                back.push((v.clone(), line.milli));
            }
            lines.push(json!({ "saleLineNo": line.no, "quantity": quantity(line.milli), "restock": restock }));
        }
        let sale = receipt.sale.clone();
        let cross = receipt.terminal != self.id;
        if receipt.lines.iter().all(|l| l.refunded) {
            pool.remove(pick);
        }
        drop(pool);
        let refund = uuid::Uuid::now_v7().to_string();
        self.drawer.expected -= total;
        self.log_moving(
            "REFUND",
            json!({ "refundId": refund, "saleId": sale, "lines": lines, "reason": "return",
                    "tenders": [{ "method": "CASH", "amount": total.to_string() }] }),
            at,
            Record::Refund {
                id: refund,
                sale,
                date: at.with_timezone(&self.zone).date_naive(),
                total,
                tax,
            },
            back,
        );
        add(&self.stats.refunds, 1);
        if cross {
            add(&self.stats.cross_terminal_refunds, 1);
        }
    }

    /// Pushes up to a batch of what is not acknowledged yet, now and then
    /// out of order, with a duplicate, or twice.
    async fn push_some(&mut self) {
        self.last_push = Instant::now();
        let pending: Vec<usize> = (0..self.log.len())
            .filter(|&i| self.log[i].ack.is_none())
            .take(self.plan.batch)
            .collect();
        if pending.is_empty() {
            return;
        }
        let mut order = pending;
        let mut twice = false;
        let mut at_once = false;
        if self.rng.f64() < self.plan.chaos {
            match self.rng.u8(..5) {
                // The first waits for the next push: the rest is held.
                0 if order.len() > 1 => {
                    order.remove(0);
                }
                1 => self.rng.shuffle(&mut order),
                2 => {
                    let acked: Vec<usize> = (0..self.log.len())
                        .filter(|&i| self.log[i].ack.is_some())
                        .collect();
                    for _ in 0..acked.len().min(5) {
                        order.push(acked[self.rng.usize(..acked.len())]);
                    }
                    self.rng.shuffle(&mut order);
                }
                3 => twice = true,
                // The same push on two connections (two replicas, when
                // there are) at the same moment.
                _ => at_once = true,
            }
        }
        let events: Vec<Value> = order.iter().map(|&i| self.log[i].event.clone()).collect();
        if at_once {
            let servers = self.client.servers();
            let first = self.rng.usize(..servers);
            let (a, b) = (self.client.only(first), self.client.only(first + 1));
            let started = Instant::now();
            let (x, y) = tokio::join!(self.call(&a, &events), self.call(&b, &events));
            self.absorb(x, started);
            self.absorb(y, started);
        } else if self.send(&events).await && twice {
            self.send(&events).await;
        }
    }

    async fn call(&self, client: &Client, events: &[Value]) -> Result<Value, CallError> {
        add(&self.stats.pushes, 1);
        add(&self.stats.events_sent, events.len() as u64);
        client
            .call(&self.token, PUSH, json!({ "events": events }))
            .await
    }

    /// One push; true when the server answered it.
    async fn send(&mut self, events: &[Value]) -> bool {
        let started = Instant::now();
        let answer = self.call(&self.client, events).await;
        self.absorb(answer, started)
    }

    /// Takes in a push's answer; true when there was one.
    fn absorb(&mut self, answer: Result<Value, CallError>, started: Instant) -> bool {
        let data = match answer {
            Ok(data) => data,
            Err(CallError::Retryable(message, retry_after)) => {
                add(&self.stats.failed_pushes, 1);
                self.stats.failure(&message, started.elapsed());
                // The server's Retry-After is the least wait; without one,
                // exponential backoff.
                let wait = self.backoff.max(retry_after.unwrap_or_default());
                self.offline_until = Instant::now() + wait;
                self.backoff = (self.backoff * 2).min(Duration::from_secs(2));
                return false;
            }
            Err(CallError::Refused(m)) => {
                add(&self.stats.refused_pushes, 1);
                self.stats
                    .problem(format!("terminal {}: push refused: {m}", self.id));
                self.offline_until = Instant::now() + Duration::from_secs(1);
                return false;
            }
        };
        let covered = data["syncPush"]["results"].as_array().map_or(0, Vec::len);
        self.stats.latency(started, started.elapsed(), covered);
        self.backoff = Duration::from_millis(50);
        for r in data["syncPush"]["results"].as_array().into_iter().flatten() {
            let seq = r["sequence"].as_i64().unwrap_or(0);
            let status = r["status"].as_str().unwrap_or("").to_owned();
            let Some(entry) = usize::try_from(seq - 1)
                .ok()
                .and_then(|i| self.log.get_mut(i))
            else {
                self.stats.problem(format!(
                    "terminal {}: an answer for sequence {seq}, never sent",
                    self.id
                ));
                continue;
            };
            let first = entry.ack.is_none();
            match status.as_str() {
                "APPLIED" | "QUEUED" => {}
                "DUPLICATE" => {
                    add(&self.stats.duplicate_answers, 1);
                    if !matches!(r["originalStatus"].as_str(), Some("APPLIED" | "QUEUED")) {
                        self.stats.problem(format!(
                            "terminal {}: seq {seq} duplicate of {}",
                            self.id, r["originalStatus"]
                        ));
                    }
                }
                other => {
                    add(
                        if other == "CONFLICT" {
                            &self.stats.conflicts
                        } else {
                            &self.stats.rejected
                        },
                        1,
                    );
                    self.stats.problem(format!(
                        "terminal {}: seq {seq} {other} {} {}",
                        self.id, r["code"], r["message"]
                    ));
                }
            }
            // Of two pushes at once, the one that applied answers first in
            // the terminal's record, whichever answer arrived first.
            let replaces = entry.ack.as_deref() == Some("DUPLICATE")
                && matches!(status.as_str(), "APPLIED" | "QUEUED");
            if first || replaces {
                entry.ack = Some(status);
            }
        }
        true
    }
}
