//! Every error a client sees carries `extensions.code`. Errors raised by
//! services carry an [`AppError`] as their source, which gives the code (and
//! is logged here if internal); the rest come from parsing, validation,
//! limits and input coercion, which are all the client's input.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{Response, Value};

use crate::error::AppError;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            let app_error = error.source::<AppError>();
            if let Some(app_error) = app_error {
                app_error.log();
            }
            let code = app_error.map_or("BAD_USER_INPUT", AppError::code);
            let field = app_error.and_then(AppError::field).map(str::to_owned);
            let reason = app_error.and_then(AppError::reason);
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                extensions.set("code", Value::from(code));
            }
            if let Some(field) = field {
                extensions.set("field", Value::from(field));
            }
            if let Some(reason) = reason {
                extensions.set("reason", Value::from(reason));
            }
        }
        response
    }
}
