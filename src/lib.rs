pub mod kleer;
pub mod model;
