//! The benchmark of kleer-sync (README, "Benchmark").

mod load;

fn main() {}
