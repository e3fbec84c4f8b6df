//! Input checks shared by the services. Each returns BAD_USER_INPUT naming
//! the field, and the cleaned value.

use std::str::FromStr;

use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::money::Currency;

/// Trimmed text of 1..=`max` characters with no control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Like [`text`], but empty means absent.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// A short code printed on receipts: 1..=16 of `A-Z`, `0-9` and `-`,
/// upper-cased, not starting or ending with `-`.
pub fn code(field: &str, value: &str) -> Result<String> {
    let value = value.trim().to_ascii_uppercase();
    let ok = (1..=16).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be 1 to 16 letters, digits or inner hyphens"),
        ))
    }
}

/// An IANA time zone name such as `Europe/Paris`.
pub fn time_zone(field: &str, value: &str) -> Result<String> {
    chrono_tz::Tz::from_str(value.trim())
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            AppError::bad_input(
                field,
                format!(
                    "'{}' is not an IANA time zone such as Europe/Paris",
                    value.trim()
                ),
            )
        })
}

/// An active ISO 4217 currency code.
pub fn currency(field: &str, value: &str) -> Result<Currency> {
    Currency::from_code(&value.trim().to_ascii_uppercase()).ok_or_else(|| {
        AppError::bad_input(
            field,
            format!("'{}' is not an ISO 4217 currency code", value.trim()),
        )
    })
}

/// An ISO 3166-1 alpha-2 country code, upper-cased. The shape is checked;
/// the code list is not.
pub fn country(field: &str, value: &str) -> Result<String> {
    let value = value.trim().to_ascii_uppercase();
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be a two-letter ISO 3166-1 country code"),
        ))
    }
}

/// An id argument. A malformed id is bad input; a well-formed one that
/// does not exist (or belongs to another tenant) is the caller's NOT_FOUND.
pub fn id(field: &str, value: &str) -> Result<Uuid> {
    Uuid::parse_str(value)
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// The size of a feed page a client asked for (`first`): 1 to `max`, or
/// `default` when it did not say.
pub fn page_size(first: Option<i32>, default: usize, max: usize) -> Result<usize> {
    match first {
        None => Ok(default),
        Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
        Some(_) => Err(AppError::bad_input(
            "first",
            format!("first must be between 1 and {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased_and_bounded() {
        assert_eq!(code("code", " ams-1 ").unwrap(), "AMS-1");
        assert!(code("code", "").is_err());
        assert!(code("code", "-A").is_err());
        assert!(code("code", "A B").is_err());
        assert!(code("code", "ABCDEFGHIJKLMNOPQ").is_err());
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        assert_eq!(time_zone("tz", "Europe/Paris").unwrap(), "Europe/Paris");
        assert!(time_zone("tz", "Mars/Olympus").is_err());
        assert!(time_zone("tz", "").is_err());
    }

    #[test]
    fn text_is_trimmed_and_limited() {
        assert_eq!(text("name", "  Shop ", 10).unwrap(), "Shop");
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", "ééééééééééé", 10).is_err());
        assert!(text("name", "a\u{0}b", 10).is_err());
        assert_eq!(optional_text("x", Some(" "), 5).unwrap(), None);
    }
}
