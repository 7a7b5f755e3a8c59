//! Erlang C: how many agents a queue needs for a service-level target, from its arrival
//! rate and handle time (the wallboard's "agents needed").
//!
//! With traffic `A = λ × AHT` erlangs and `N` agents: Erlang B by the recursion
//! `B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))`; the probability of waiting
//! `C = N·B / (N − A·(1 − B))`; the service level (answered within `t`)
//! `SL = 1 − C·e^(−(N − A)·t / AHT)`. Needed: the fewest `N > A` whose SL meets the
//! target (at most [`MAX_AGENTS`]).

/// The most agents [`agents_needed`] considers.
pub const MAX_AGENTS: u32 = 10_000;

/// Erlang C: the probability that a customer waits, with `n` agents and `a` erlangs.
pub fn erlang_c(n: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    if a >= f64::from(n) {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=n {
        b = a * b / (f64::from(k) + a * b);
    }
    let n = f64::from(n);
    n * b / (n - a * (1.0 - b))
}

/// The share of customers answered within `t_s` seconds.
pub fn service_level(n: u32, a: f64, aht_s: f64, t_s: f64) -> f64 {
    if a <= 0.0 {
        return 1.0;
    }
    if a >= f64::from(n) || aht_s <= 0.0 {
        return 0.0;
    }
    1.0 - erlang_c(n, a) * (-(f64::from(n) - a) * t_s / aht_s).exp()
}

/// The fewest agents that answer `target` (0–1) of the customers within `t_s` seconds,
/// at `per_hour` arrivals and `aht_s` seconds of handle time; None beyond
/// [`MAX_AGENTS`].
pub fn agents_needed(per_hour: f64, aht_s: f64, target: f64, t_s: f64) -> Option<u32> {
    let a = per_hour / 3600.0 * aht_s;
    if a <= 0.0 {
        return Some(0);
    }
    let mut n = a.floor() as u32 + 1;
    while n <= MAX_AGENTS {
        if service_level(n, a, aht_s, t_s) >= target {
            return Some(n);
        }
        n += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.001
    }

    /// Call Centre Helper's worked example: 100 calls in 30 minutes, 180 s handle time,
    /// 80 % in 20 s: 10 erlangs, 14 agents, C = 0.1741, SL = 0.8884.
    #[test]
    fn the_call_centre_helper_example() {
        let a = 200.0 / 3600.0 * 180.0;
        assert!(close(a, 10.0));
        assert!(close(erlang_c(14, a), 0.1741), "{}", erlang_c(14, a));
        assert!(close(service_level(14, a, 180.0, 20.0), 0.8884), "{}", service_level(14, a, 180.0, 20.0));
        assert_eq!(agents_needed(200.0, 180.0, 0.8, 20.0), Some(14));
        // 13 agents do not meet it.
        assert!(service_level(13, a, 180.0, 20.0) < 0.8);
    }

    /// The textbook case: 360 calls per half hour, 240 s handle time (48 erlangs),
    /// 55 agents: C = 0.2387, SL(15 s) = 0.846.
    #[test]
    fn the_textbook_case() {
        let a = 720.0 / 3600.0 * 240.0;
        assert!(close(a, 48.0));
        assert!(close(erlang_c(55, a), 0.2387), "{}", erlang_c(55, a));
        assert!((service_level(55, a, 240.0, 15.0) - 0.846).abs() < 0.002, "{}", service_level(55, a, 240.0, 15.0));
        assert_eq!(agents_needed(720.0, 240.0, 0.8, 15.0), Some(55));
    }

    #[test]
    fn edges() {
        assert_eq!(erlang_c(5, 5.0), 1.0, "as many erlangs as agents: everyone waits");
        assert_eq!(service_level(5, 6.0, 180.0, 20.0), 0.0);
        assert_eq!(agents_needed(0.0, 180.0, 0.8, 20.0), Some(0));
        assert_eq!(agents_needed(1e9, 180.0, 0.8, 20.0), None);
    }
}
