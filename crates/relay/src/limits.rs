//! The relay's limits, and the per-connection message rate limiter.

use std::time::{Duration, Instant};

/// Limits the relay enforces, each with its close code (see PROTOCOL.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame accepted, bytes (4413).
    pub max_frame_bytes: usize,
    /// Messages per second per connection, sustained; bursts up to twice that (4429).
    pub max_messages_per_second: u32,
    /// Open connections to the whole relay (4430).
    pub max_connections: usize,
    /// Documents loaded at once (4431 when none can be evicted).
    pub max_documents: usize,
    /// Frames queued for one connection before it counts as a slow consumer (4408).
    pub send_queue: usize,
    /// A document with no connection for this long is evicted from memory.
    pub idle_evict: Duration,
    /// Log entries after which the document is compacted into a snapshot.
    pub compact_every: u64,
    /// How long the first message with news waits for others to share its commit
    /// (group commit; 0: commit what is queued at once). Writes often come in bursts
    /// (several clients answer one event), and a commit started right after another
    /// waits on the disk far longer than one that takes the whole burst (measured:
    /// 19-30 ms against 2-3 ms per commit on the load bench's bursts).
    pub commit_gather: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 8 << 20,
            max_messages_per_second: 200,
            max_connections: 20_000,
            max_documents: 10_000,
            send_queue: 256,
            idle_evict: Duration::from_secs(30),
            compact_every: 1000,
            commit_gather: Duration::from_millis(2),
        }
    }
}

/// A token bucket: `rate` tokens a second, holding at most `2 * rate`.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// A full bucket for `rate` messages a second.
    pub fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        RateLimiter {
            rate,
            tokens: 2.0 * rate,
            last: Instant::now(),
        }
    }

    /// Takes a token at `now`; false when the bucket is empty.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(2.0 * self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = RateLimiter::new(10);
        let mut bucket_at = |t: Duration| bucket.allow(start + t);
        let burst = (0..25).filter(|_| bucket_at(Duration::ZERO)).count();
        assert_eq!(burst, 20);
        assert!(bucket_at(Duration::from_millis(100)));
        assert!(!bucket_at(Duration::from_millis(100)));
    }
}
