pub mod kleer;
pub mod model;
pub mod store;
pub mod sync;
pub mod graphql;
