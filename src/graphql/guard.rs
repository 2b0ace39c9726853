//! Role checks on fields: the HTTP layer has established the caller; a role too weak for a
//! field is refused with `FORBIDDEN`.

use super::errors::coded;
use crate::access::{Caller, Role};
use async_graphql::{Context, Guard, Result};

pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match ctx.data_opt::<Caller>() {
            Some(caller) if caller.role >= self.0 => Ok(()),
            _ => Err(coded(
                "FORBIDDEN",
                format!("this needs a token with the {} role", self.0.as_str()),
            )),
        }
    }
}
