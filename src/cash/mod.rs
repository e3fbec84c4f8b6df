//! Cash Service: the drawer's shifts. A terminal opens a shift with a
//! counted float (SHIFT_OPEN), records pay-ins, pay-outs and drops
//! (CASH_MOVEMENT) and closes it with a counted amount (SHIFT_CLOSE); the
//! events arrive through sync like sales, with the same dedupe and order.
//!
//! On closing, the server works out what the drawer should hold:
//!
//! ```text
//! expected = float + cash sales − cash refunds − cash voids
//!          + pay-ins − pay-outs − drops
//! over/short = counted − expected
//! ```
//!
//! where cash sales are the cash tendered less change on the terminal's
//! sales between the SHIFT_OPEN and the SHIFT_CLOSE (by sequence), cash
//! refunds the cash given back on its refunds there, and cash voids the
//! cash of the sales its voids there cancelled. All amounts are minor
//! units of the location's currency. See docs/architecture.md, "Cash".

pub mod graphql;
pub mod reports;
pub mod shifts;
