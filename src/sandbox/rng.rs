//! SplitMix64: a few lines of deterministic randomness, enough for demo data and fault dice.
//! Not for anything secret.

const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform number in `[0, 1)` from 64 random bits.
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

pub(super) struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// A number in `0..n` (the modulo bias is far below what demo data can show).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        unit(self.next_u64()) < probability
    }
}

/// The same generator behind an atomic, so concurrent requests can roll fault dice without a
/// lock. Sequential requests still see a fixed sequence.
pub(super) struct SharedSplitMix64(std::sync::atomic::AtomicU64);

impl SharedSplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(std::sync::atomic::AtomicU64::new(seed))
    }

    pub fn chance(&self, probability: f64) -> bool {
        let state = self
            .0
            .fetch_add(GAMMA, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(GAMMA);
        unit(mix(state)) < probability
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_spread() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let draws: Vec<u64> = (0..1000).map(|_| a.below(10)).collect();
        assert_eq!(draws, (0..1000).map(|_| b.below(10)).collect::<Vec<_>>());
        for digit in 0..10 {
            let count = draws.iter().filter(|&&d| d == digit).count();
            assert!((60..140).contains(&count), "{digit}: {count}");
        }
    }

    #[test]
    fn chance_respects_the_extremes() {
        let dice = SharedSplitMix64::new(1);
        assert!((0..1000).all(|_| dice.chance(1.0)));
        assert!((0..1000).all(|_| !dice.chance(0.0)));
    }
}
