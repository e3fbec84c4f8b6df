//! A shift's cash totals, worked out from its terminal's ledger: cash
//! sales, refunds and voids, and the drawer's movements.

use entity::{cash_movement, refund, sale, sale_void, tender};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::Result;
use crate::tenancy::TenantTx;

/// A shift's cash, worked out from the terminal's ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub cash_sales: i64,
    pub cash_refunds: i64,
    pub cash_voids: i64,
    pub pay_ins: i64,
    pub pay_outs: i64,
    pub drops: i64,
}

impl Totals {
    pub fn expected(&self, float: i64) -> i64 {
        float + self.cash_sales - self.cash_refunds - self.cash_voids + self.pay_ins
            - self.pay_outs
            - self.drops
    }
}

/// Cash tendered less change on `records`.
async fn cash_of(tx: &TenantTx, records: Vec<Uuid>) -> Result<i64> {
    if records.is_empty() {
        return Ok(0);
    }
    let mut total = 0;
    for chunk in records.chunks(1_000) {
        let rows: Vec<(i64, i64)> = tx
            .select::<tender::Entity>()
            .select_only()
            .column(tender::Column::Amount)
            .column(tender::Column::Change)
            .filter(tender::Column::RecordId.is_in(chunk.iter().copied()))
            .filter(tender::Column::Method.eq("CASH"))
            .into_tuple()
            .all(tx)
            .await?;
        total += rows.iter().map(|(a, c)| a - c).sum::<i64>();
    }
    Ok(total)
}

/// The shift's totals for its terminal's events after `open` and before
/// `close` (sequences).
pub async fn totals(tx: &TenantTx, terminal: Uuid, open: i64, close: i64) -> Result<Totals> {
    let sales: Vec<Uuid> = tx
        .select::<sale::Entity>()
        .select_only()
        .column(sale::Column::Id)
        .filter(sale::Column::TerminalId.eq(terminal))
        .filter(sale::Column::Sequence.gt(open))
        .filter(sale::Column::Sequence.lt(close))
        .into_tuple()
        .all(tx)
        .await?;
    let refunds: Vec<Uuid> = tx
        .select::<refund::Entity>()
        .select_only()
        .column(refund::Column::Id)
        .filter(refund::Column::TerminalId.eq(terminal))
        .filter(refund::Column::Sequence.gt(open))
        .filter(refund::Column::Sequence.lt(close))
        .into_tuple()
        .all(tx)
        .await?;
    let voided: Vec<Uuid> = tx
        .select::<sale_void::Entity>()
        .select_only()
        .column(sale_void::Column::SaleId)
        .filter(sale_void::Column::TerminalId.eq(terminal))
        .filter(sale_void::Column::Sequence.gt(open))
        .filter(sale_void::Column::Sequence.lt(close))
        .into_tuple()
        .all(tx)
        .await?;
    let mut t = Totals {
        cash_sales: cash_of(tx, sales).await?,
        cash_refunds: cash_of(tx, refunds).await?,
        cash_voids: cash_of(tx, voided).await?,
        ..Totals::default()
    };
    let moves: Vec<(String, i64)> = tx
        .select::<cash_movement::Entity>()
        .select_only()
        .column(cash_movement::Column::Kind)
        .column(cash_movement::Column::Amount)
        .filter(cash_movement::Column::TerminalId.eq(terminal))
        .filter(cash_movement::Column::Sequence.gt(open))
        .filter(cash_movement::Column::Sequence.lt(close))
        .into_tuple()
        .all(tx)
        .await?;
    for (kind, amount) in moves {
        match kind.as_str() {
            "PAY_IN" => t.pay_ins += amount,
            "PAY_OUT" => t.pay_outs += amount,
            _ => t.drops += amount,
        }
    }
    Ok(t)
}
