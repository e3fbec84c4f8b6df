//! Why an event was not applied: a stable code, a message and the field.
//! A pushed event keeps its rejection (it consumes its sequence); an online
//! mutation returns it as an error with `extensions.reason`.

use crate::error::AppError;

macro_rules! reasons {
    ($($variant:ident => $code:literal, $class:ident;)+) => {
        /// Stable rejection codes, documented in the README.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason { $($variant),+ }

        impl Reason {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// The general error code an online mutation answers with.
            fn class(self) -> &'static str {
                match self { $(Self::$variant => stringify!($class)),+ }
            }
        }
    };
}

reasons! {
    InvalidId => "INVALID_ID", BAD_USER_INPUT;
    InvalidQuantity => "INVALID_QUANTITY", BAD_USER_INPUT;
    InvalidAmount => "INVALID_AMOUNT", BAD_USER_INPUT;
    InvalidText => "INVALID_TEXT", BAD_USER_INPUT;
    InvalidTimestamp => "INVALID_TIMESTAMP", BAD_USER_INPUT;
    EmptySale => "EMPTY_SALE", BAD_USER_INPUT;
    TooManyLines => "TOO_MANY_LINES", BAD_USER_INPUT;
    UnknownVariant => "UNKNOWN_VARIANT", BAD_USER_INPUT;
    NoPrice => "NO_PRICE", BAD_USER_INPUT;
    CardNumberRefused => "CARD_NUMBER_REFUSED", BAD_USER_INPUT;
    InvalidTender => "INVALID_TENDER", BAD_USER_INPUT;
    TendersShort => "TENDERS_SHORT", BAD_USER_INPUT;
    ChangeWithoutCash => "CHANGE_WITHOUT_CASH", BAD_USER_INPUT;
    RefundTendersMismatch => "REFUND_TENDERS_MISMATCH", BAD_USER_INPUT;
    SaleNotFound => "SALE_NOT_FOUND", NOT_FOUND;
    UnknownSaleLine => "UNKNOWN_SALE_LINE", BAD_USER_INPUT;
    OverRefund => "OVER_REFUND", BAD_USER_INPUT;
    SaleVoided => "SALE_VOIDED", CONFLICT;
    SaleHasRefunds => "SALE_HAS_REFUNDS", CONFLICT;
    VoidOtherTerminal => "VOID_OTHER_TERMINAL", BAD_USER_INPUT;
    VoidAfterClose => "VOID_AFTER_CLOSE", BAD_USER_INPUT;
    CurrencyMismatch => "CURRENCY_MISMATCH", BAD_USER_INPUT;
    ManagerRequired => "MANAGER_REQUIRED", FORBIDDEN;
    IdReused => "ID_REUSED", CONFLICT;
    InvalidStockLine => "INVALID_STOCK_LINE", BAD_USER_INPUT;
    ShiftAlreadyOpen => "SHIFT_ALREADY_OPEN", CONFLICT;
    ShiftNotOpen => "SHIFT_NOT_OPEN", CONFLICT;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub message: String,
    /// The payload field at fault, as a path (`lines.2.quantity`).
    pub field: Option<String>,
}

impl Rejection {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            field: None,
        }
    }

    pub fn at(reason: Reason, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            field: Some(field.into()),
        }
    }
}

impl From<Rejection> for AppError {
    fn from(r: Rejection) -> Self {
        AppError::Rejected {
            class: r.reason.class(),
            reason: r.reason.as_str(),
            message: r.message,
            field: r.field,
        }
    }
}

/// `Ok` or a rejection, inside an `Ok` of the usual result: the outer
/// error is for failures (the database), the inner one for the event.
pub type Checked<T> = std::result::Result<T, Rejection>;
