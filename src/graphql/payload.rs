//! Mutation payloads with field-level user errors, so a client can show
//! each problem next to the input that caused it.

use async_graphql::SimpleObject;

use crate::error::AppError;

/// A problem with the input, for the user to fix.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// Path to the input field within the mutation's `input` argument
    /// (e.g. `["variants", "0", "sku"]`), or the argument's name; empty
    /// when no single field is at fault.
    pub field: Vec<String>,
    pub message: String,
    /// BAD_USER_INPUT, CONFLICT or NOT_FOUND.
    pub code: String,
}

/// Splits a service result into the payload's value and user errors.
/// Input problems become user errors; anything else (authentication,
/// permissions, internal failures) stays a GraphQL error.
pub fn split<T>(result: Result<T, AppError>) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(
            err @ (AppError::BadInput { .. }
            | AppError::Conflict { .. }
            | AppError::NotFound { .. }),
        ) => {
            let field = err
                .field()
                .map(|f| f.split('.').map(str::to_owned).collect())
                .unwrap_or_default();
            Ok((
                None,
                vec![UserError {
                    field,
                    message: err.to_string(),
                    code: err.code().to_owned(),
                }],
            ))
        }
        Err(err) => Err(err.into()),
    }
}

/// Declares a payload type `$name { $field: Option<$ty>, userErrors }`.
#[macro_export]
macro_rules! payload {
    ($name:ident, $field:ident, $ty:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            pub $field: Option<$ty>,
            pub user_errors: Vec<$crate::graphql::payload::UserError>,
        }

        impl $name {
            pub fn from_result(
                result: Result<$ty, $crate::error::AppError>,
            ) -> async_graphql::Result<Self> {
                let ($field, user_errors) = $crate::graphql::payload::split(result)?;
                Ok(Self {
                    $field,
                    user_errors,
                })
            }

            /// As `from_result`, naming the argument `at` where the error
            /// names no input field (the `id` that was not found).
            #[allow(dead_code)]
            pub fn from_result_at(
                at: &str,
                result: Result<$ty, $crate::error::AppError>,
            ) -> async_graphql::Result<Self> {
                Self::from_result(result.map_err(|e| e.at(at)))
            }
        }
    };
}
