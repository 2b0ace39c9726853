//! API tokens, kept as hashes.

use super::schema::api_tokens;
use super::{Store, StoreResult, db_run, now};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
}

/// A token as listed: never the token itself, which only its creator ever sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenRecord {
    fn from(r: TokenRow) -> Self {
        TokenRecord {
            id: r.id,
            name: r.name,
            role: r.role,
            created_at: r.created_at.and_utc(),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
        }
    }
}

impl Store {
    pub async fn insert_token(
        &self,
        name: &str,
        role: &str,
        hash: &str,
    ) -> StoreResult<TokenRecord> {
        let row: TokenRow = db_run!(self, |conn| {
            diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::name.eq(name),
                    api_tokens::role.eq(role),
                    api_tokens::token_hash.eq(hash),
                    api_tokens::created_at.eq(now()),
                ))
                .returning(TokenRow::as_returning())
                .get_result(conn)
                .await?
        });
        Ok(row.into())
    }

    /// The live (not revoked) token with this hash.
    pub async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<TokenRecord>> {
        let row: Option<TokenRow> = db_run!(self, |conn| {
            api_tokens::table
                .filter(api_tokens::token_hash.eq(hash))
                .filter(api_tokens::revoked_at.is_null())
                .select(TokenRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        Ok(row.map(Into::into))
    }

    pub async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        let rows: Vec<TokenRow> = db_run!(self, |conn| {
            api_tokens::table
                .order(api_tokens::id.asc())
                .select(TokenRow::as_select())
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Whether any live token exists: without one the server runs in its open first-run mode.
    pub async fn any_live_token(&self) -> StoreResult<bool> {
        let count: i64 = db_run!(self, |conn| {
            api_tokens::table
                .filter(api_tokens::revoked_at.is_null())
                .count()
                .get_result(conn)
                .await?
        });
        Ok(count > 0)
    }

    /// Revokes a token; false when the id names no live token.
    pub async fn revoke_token(&self, id: i64) -> StoreResult<bool> {
        let changed = db_run!(self, |conn| {
            diesel::update(
                api_tokens::table
                    .find(id)
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(Some(now())))
            .execute(conn)
            .await?
        });
        Ok(changed > 0)
    }
}
