//! `GET /reports/sales.csv`: the sales report as a CSV download, with the
//! same bearer token and the same parameters as `salesReport`:
//!
//! `from`, `to` (dates), `groupBy` (repeated, or comma-separated),
//! `locations`, `terminals`, `products` (the filter's ids, repeated or
//! comma-separated), `sortBy` (a measure), `descending` (`true` by
//! default) and `first`.

use async_graphql::resolver_utils::EnumType;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::AppState;
use super::auth::{authenticate, error_response};
use super::door::Caller;
use crate::error::AppError;
use crate::reporting::csv;
use crate::reporting::graphql::{Dimension, Measure};
use crate::reporting::report::Request;
use crate::validate;

fn enum_value<T: EnumType + Copy>(field: &str, name: &str) -> Result<T, AppError> {
    T::items()
        .iter()
        .find(|item| item.name == name)
        .map(|item| item.value)
        .ok_or_else(|| {
            let known: Vec<&str> = T::items().iter().map(|i| i.name).collect();
            AppError::bad_input(
                field,
                format!(
                    "unknown value {name:?}; expected one of {}",
                    known.join(", ")
                ),
            )
        })
}

fn date(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| AppError::bad_input(field, format!("{field} must be a date (YYYY-MM-DD)")))
}

fn ids<'a>(
    field: &str,
    values: impl Iterator<Item = &'a str>,
    into: &mut Vec<uuid::Uuid>,
) -> Result<(), AppError> {
    for v in values {
        into.push(validate::id(field, &async_graphql::ID(v.to_owned()))?);
    }
    Ok(())
}

/// The request a query string asks for.
pub fn parse(query: &str) -> Result<Request, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| AppError::bad_input("query", "the query string does not parse"))?;
    let mut req = Request::default();
    let mut sort_by: Option<Measure> = None;
    let mut descending = true;
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in &pairs {
        let once = |seen: &mut Vec<&str>, key: &'static str| {
            if seen.contains(&key) {
                return Err(AppError::bad_input(key, format!("{key} is given twice")));
            }
            seen.push(key);
            Ok(())
        };
        let list = || value.split(',').map(str::trim).filter(|v| !v.is_empty());
        match key.as_str() {
            "from" => {
                once(&mut seen, "from")?;
                req.from = Some(date("from", value)?);
            }
            "to" => {
                once(&mut seen, "to")?;
                req.to = Some(date("to", value)?);
            }
            "groupBy" => {
                for v in list() {
                    req.group_by
                        .push(enum_value::<Dimension>("groupBy", v)?.into());
                }
            }
            "locations" => ids("filter.locations", list(), &mut req.locations)?,
            "terminals" => ids("filter.terminals", list(), &mut req.terminals)?,
            "products" => ids("filter.products", list(), &mut req.products)?,
            "sortBy" => {
                once(&mut seen, "sortBy")?;
                sort_by = Some(enum_value::<Measure>("sortBy", value)?);
            }
            "descending" => {
                once(&mut seen, "descending")?;
                descending = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(AppError::bad_input(
                            "descending",
                            "descending is true or false",
                        ));
                    }
                };
            }
            "first" => {
                once(&mut seen, "first")?;
                req.first =
                    Some(value.parse().map_err(|_| {
                        AppError::bad_input("first", "first must be a whole number")
                    })?);
            }
            other => {
                return Err(AppError::bad_input(
                    "query",
                    format!(
                        "unknown parameter {other:?}; expected from, to, groupBy, locations, \
                         terminals, products, sortBy, descending or first"
                    ),
                ));
            }
        }
    }
    if req.from.is_none() {
        return Err(AppError::bad_input("from", "from is required"));
    }
    if req.to.is_none() {
        return Err(AppError::bad_input("to", "to is required"));
    }
    req.sort = sort_by.map(|m| (m.into(), descending));
    Ok(req)
}

pub async fn sales_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(query): RawQuery,
) -> Response {
    let session = match authenticate(&state, &headers, &extensions, 1).await {
        Ok(Caller {
            session: Some(session),
            ..
        }) => session,
        Ok(_) => {
            return error_response(&AppError::Unauthenticated(
                "authentication required: send Authorization: Bearer <token>".into(),
            ));
        }
        Err(response) => return response,
    };
    let req = match parse(query.as_deref().unwrap_or_default()) {
        Ok(req) => req,
        Err(e) => return error_response(&e),
    };
    let name = format!(
        "attachment; filename=\"sales-{}-{}.csv\"",
        req.from.unwrap_or_default(),
        req.to.unwrap_or_default()
    );
    match csv::export(&session, &state.db, req).await {
        Ok(stream) => {
            let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&name) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => error_response(&e),
    }
}
