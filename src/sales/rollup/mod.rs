//! The rollups' arithmetic: what one sale, refund or void adds to the
//! report cells, and (in `write`) the upsert that adds a unit of work's
//! deltas.
//!
//! Apply and `reconcile` both use these functions, so a rebuilt rollup is
//! what applying the same ledger would have produced. A cell is keyed by
//! location, terminal, local business date and local hour; it is only
//! written under its terminal's ledger lock (a refund counts on its own
//! terminal and day, a void on its sale's, which is its own terminal's).

pub mod months;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use entity::{line_tax, refund, refund_line, sale, sale_line, tender};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::tenancy::TenantTx;

pub(crate) use self::write::upsert;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    pub location: Uuid,
    pub terminal: Uuid,
    pub date: NaiveDate,
    pub hour: i32,
}

impl Cell {
    pub fn at(location: Uuid, terminal: Uuid, date: NaiveDate, at: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            location,
            terminal,
            date,
            hour: at.with_timezone(&tz).hour() as i32,
        }
    }
}

/// The stored time zone of a location of the session's tenant.
pub async fn time_zone_of(tx: &TenantTx, location: Uuid) -> Result<Tz> {
    let row = tx
        .select::<entity::location::Entity>()
        .filter(entity::location::Column::Id.eq(location))
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal("a ledger record's location is gone"))?;
    crate::org::locations::stored_zone(&row.time_zone)
}

/// Measures of `report_sales`, in column order.
pub type SaleCell = [i64; 14];
/// Measures of `report_items` after `product_id`, in column order.
pub type ItemCell = [i64; 15];
/// Measures of `report_tenders`, in column order.
pub type TenderCell = [i64; 6];
/// Measures of `report_taxes` after `rate_ppm`, in column order.
pub type TaxCell = [i64; 6];

/// Deltas of one unit of work, by cell. Ordered maps, so upserts touch
/// rows in key order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rollups {
    pub sales: BTreeMap<Cell, SaleCell>,
    pub items: BTreeMap<(Cell, Uuid, Uuid), (Uuid, ItemCell)>,
    pub tenders: BTreeMap<(Cell, String), TenderCell>,
    /// By cell and tax rate: the rate's name and parts per million, and
    /// the measures.
    pub taxes: BTreeMap<(Cell, Uuid), (String, i64, TaxCell)>,
}

pub(crate) fn add<const N: usize>(into: &mut [i64; N], delta: [i64; N]) {
    for (a, d) in into.iter_mut().zip(delta) {
        *a += d;
    }
}

impl Rollups {
    pub fn is_empty(&self) -> bool {
        self.sales.is_empty()
            && self.items.is_empty()
            && self.tenders.is_empty()
            && self.taxes.is_empty()
    }

    /// A sale (`sign` 1), or the removal of a voided sale's effect (`sign`
    /// -1, with `void` set).
    pub fn sale(
        &mut self,
        cell: Cell,
        sale: &sale::Model,
        lines: &[sale_line::Model],
        taxes: &[line_tax::Model],
        tenders: &[tender::Model],
        voided: bool,
    ) {
        let s = if voided { -1 } else { 1 };
        let quantity: i64 = lines.iter().map(|l| l.quantity_milli).sum();
        let (vc, vt) = if voided { (1, sale.total) } else { (0, 0) };
        add(
            self.sales.entry(cell).or_default(),
            [
                s,
                s * sale.list_total,
                s * sale.discount_total,
                s * sale.net_total,
                s * sale.tax_total,
                s * sale.total,
                s * quantity,
                0,
                0,
                0,
                0,
                0,
                vc,
                vt,
            ],
        );
        self.sale_items(cell, lines, s, voided);
        self.sale_tenders(cell, tenders, s, voided);
        let net_of: HashMap<i32, i64> = lines.iter().map(|l| (l.line_no, l.net)).collect();
        for t in taxes {
            let net = net_of.get(&t.line_no).copied().unwrap_or_default();
            let (vn, vt) = if voided { (net, t.amount) } else { (0, 0) };
            self.tax(cell, t, [s * net, s * t.amount, 0, 0, vn, vt]);
        }
    }

    /// A sale's lines in the item cells (counts of distinct variants,
    /// products and tax groups included).
    fn sale_items(&mut self, cell: Cell, lines: &[sale_line::Model], s: i64, voided: bool) {
        let mut seen: [HashSet<(Uuid, Uuid)>; 4] = Default::default();
        for l in lines {
            let mut first = |i: usize, key: (Uuid, Uuid)| i64::from(seen[i].insert(key)) * s;
            let nil = Uuid::nil();
            let counts = [
                first(0, (l.variant_id, nil)),
                first(1, (l.product_id, nil)),
                first(2, (l.tax_group_id, nil)),
                first(3, (l.product_id, l.tax_group_id)),
            ];
            let entry = self
                .items
                .entry((cell, l.variant_id, l.tax_group_id))
                .or_insert((l.product_id, [0; 15]));
            add(
                &mut entry.1,
                [
                    s * l.list_amount,
                    s * l.discount,
                    s * l.net,
                    s * l.tax,
                    s * l.gross,
                    s * l.quantity_milli,
                    0,
                    0,
                    0,
                    0,
                    if voided { l.gross } else { 0 },
                    counts[0],
                    counts[1],
                    counts[2],
                    counts[3],
                ],
            );
        }
    }

    /// A sale's tenders in the tender cells, net of change.
    fn sale_tenders(&mut self, cell: Cell, tenders: &[tender::Model], s: i64, voided: bool) {
        let mut methods = HashSet::new();
        for t in tenders {
            let counted = i64::from(methods.insert(t.method.clone()));
            add(
                self.tenders.entry((cell, t.method.clone())).or_default(),
                [
                    s * counted,
                    s * (t.amount - t.change),
                    0,
                    0,
                    if voided { counted } else { 0 },
                    if voided { t.amount - t.change } else { 0 },
                ],
            );
        }
    }

    fn tax(&mut self, cell: Cell, t: &line_tax::Model, delta: TaxCell) {
        let entry = self
            .taxes
            .entry((cell, t.tax_rate_id))
            .or_insert_with(|| (t.name.clone(), t.rate_ppm, [0; 6]));
        add(&mut entry.2, delta);
    }

    /// A refund, on its own terminal and day. `product_of` gives each
    /// refunded variant's product.
    pub fn refund(
        &mut self,
        cell: Cell,
        refund: &refund::Model,
        lines: &[refund_line::Model],
        taxes: &[line_tax::Model],
        tenders: &[tender::Model],
        product_of: &HashMap<Uuid, Uuid>,
    ) {
        let quantity: i64 = lines.iter().map(|l| l.quantity_milli).sum();
        add(
            self.sales.entry(cell).or_default(),
            [
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                1,
                refund.net_total,
                refund.tax_total,
                refund.total,
                quantity,
                0,
                0,
            ],
        );
        for l in lines {
            let product = product_of.get(&l.variant_id).copied().unwrap_or_default();
            let entry = self
                .items
                .entry((cell, l.variant_id, l.tax_group_id))
                .or_insert((product, [0; 15]));
            add(
                &mut entry.1,
                [
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    l.net,
                    l.tax,
                    l.gross,
                    l.quantity_milli,
                    0,
                    0,
                    0,
                    0,
                    0,
                ],
            );
        }
        let mut methods = HashSet::new();
        for t in tenders {
            let counted = i64::from(methods.insert(t.method.clone()));
            add(
                self.tenders.entry((cell, t.method.clone())).or_default(),
                [0, 0, counted, t.amount - t.change, 0, 0],
            );
        }
        let net_of: HashMap<i32, i64> = lines.iter().map(|l| (l.line_no, l.net)).collect();
        for t in taxes {
            let net = net_of.get(&t.line_no).copied().unwrap_or_default();
            self.tax(cell, t, [0, 0, net, t.amount, 0, 0]);
        }
    }

    pub fn merge(&mut self, other: Rollups) {
        for (k, v) in other.sales {
            add(self.sales.entry(k).or_default(), v);
        }
        for (k, (p, v)) in other.items {
            add(&mut self.items.entry(k).or_insert((p, [0; 15])).1, v);
        }
        for (k, v) in other.tenders {
            add(self.tenders.entry(k).or_default(), v);
        }
        for (k, (name, ppm, v)) in other.taxes {
            add(&mut self.taxes.entry(k).or_insert((name, ppm, [0; 6])).2, v);
        }
    }
}
