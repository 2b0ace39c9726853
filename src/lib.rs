pub mod kleer;
pub mod model;
pub mod sandbox;
