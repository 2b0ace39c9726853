//! Cursor paging arguments: page sizes within bounds, opaque keyset cursors.

use super::errors::{BAD_USER_INPUT, coded};
use crate::model::{EmployeeId, KleerUserId};
use crate::store::{EmployeeCursor, EmployeeFilter, KleerCursor, KleerFilter};
use crate::sync::views::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SEARCH_LENGTH};
use async_graphql::connection::CursorType;
use async_graphql::{Context, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub fn page_size(first: Option<i32>) -> Result<usize> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => Ok(n as usize),
        Some(_) => Err(coded(
            BAD_USER_INPUT,
            format!("first must be between 0 and {MAX_PAGE_SIZE}"),
        )),
    }
}

pub fn search(search: Option<String>) -> Result<Option<String>> {
    match search {
        Some(s) if s.chars().count() > MAX_SEARCH_LENGTH => Err(coded(
            BAD_USER_INPUT,
            format!("search must be at most {MAX_SEARCH_LENGTH} characters"),
        )),
        other => Ok(other),
    }
}

pub fn decode<C: CursorType>(after: Option<String>) -> Result<Option<C>> {
    after
        .map(|s| {
            C::decode_cursor(&s)
                .map_err(|_| coded(BAD_USER_INPUT, "after is not a cursor of this list"))
        })
        .transpose()
}

/// Position in an alphabetical list of employees.
pub struct EmployeeKey(pub EmployeeCursor);

impl CursorType for EmployeeKey {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| "not base64")?;
        let raw = String::from_utf8(raw).map_err(|_| "not text")?;
        let (id, key) = raw.split_once(':').ok_or("no separator")?;
        let id = id.parse().map_err(|_| "no id")?;
        Ok(EmployeeKey((key.to_string(), EmployeeId(id))))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", (self.0).1, (self.0).0))
    }
}

/// Position in an alphabetical list of Kleer employees.
pub struct KleerKey(pub KleerCursor);

impl CursorType for KleerKey {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let EmployeeKey((key, id)) = EmployeeKey::decode_cursor(s)?;
        Ok(KleerKey((key, KleerUserId(id.0))))
    }

    fn encode_cursor(&self) -> String {
        EmployeeKey(((self.0).0.clone(), EmployeeId((self.0).1.0))).encode_cursor()
    }
}

/// `totalCount` of a Kleer employee list: read with the page when it could be, otherwise
/// counted only when a client asks for it.
pub struct KleerTotal(pub KleerFilter, pub Option<i64>);

#[Object]
impl KleerTotal {
    /// Rows in the whole list (all pages) with the current tab and search.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        use super::errors::ApiResult;
        match self.1 {
            Some(total) => Ok(total),
            None => super::service(ctx)
                .store()
                .mirror_count(&self.0)
                .await
                .api(),
        }
    }
}

/// Position in a list ordered by a number (run ids, row positions).
pub struct NumberKey(pub i64);

impl CursorType for NumberKey {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| "not base64")?;
        let raw = String::from_utf8(raw).map_err(|_| "not text")?;
        raw.strip_prefix("n:")
            .and_then(|n| n.parse().ok())
            .map(NumberKey)
            .ok_or("not a number cursor")
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("n:{}", self.0))
    }
}

/// `totalCount` of an employee list: read with the page when it could be, otherwise counted
/// only when a client asks for it.
pub struct EmployeeTotal(pub EmployeeFilter, pub Option<i64>);

#[Object]
impl EmployeeTotal {
    /// Rows in the whole list (all pages) with the current tab and search.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        use super::errors::ApiResult;
        match self.1 {
            Some(total) => Ok(total),
            None => super::service(ctx)
                .store()
                .employee_count(&self.0)
                .await
                .api(),
        }
    }
}

/// Whether the client selected `totalCount` on the connection being resolved.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// `totalCount` of a list that is already known in full or counted up front.
pub struct KnownTotal(pub i64);

#[Object]
impl KnownTotal {
    /// Rows in the whole list (all pages).
    async fn total_count(&self) -> i64 {
        self.0
    }
}
