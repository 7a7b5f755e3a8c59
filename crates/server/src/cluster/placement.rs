//! Where each app runs: rendezvous (highest-random-weight) hashing over the live nodes.
//!
//! Every node computes the same answer from the same list of live nodes, with no
//! coordination: an app's preferred owner is the node whose hash of (node, app) is
//! highest. When a node joins, only the apps that now prefer it move (about 1/n of
//! them); when one leaves, only its own apps move, spread over the others.

/// A 64-bit FNV-1a hash of `node`, a separator and `app`, mixed (splitmix64's finaliser)
/// so that near names weigh apart.
fn weight(node: &str, app: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in node.bytes().chain([0xff]).chain(app.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The node that should own `app` among `live` (None when no node is live). Ties,
/// which need equal hashes, go to the smaller node id, so the answer never depends on
/// the list's order.
pub fn preferred_owner<'a>(app: &str, live: &'a [String]) -> Option<&'a str> {
    live.iter().map(|n| (weight(n, app), std::cmp::Reverse(n.as_str()))).max().map(|(_, n)| n.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("node-{i}")).collect()
    }

    fn apps(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("app{i}")).collect()
    }

    #[test]
    fn every_node_agrees_whatever_the_order_of_its_list() {
        let live = nodes(5);
        let mut reversed = live.clone();
        reversed.reverse();
        for app in apps(200) {
            assert_eq!(preferred_owner(&app, &live), preferred_owner(&app, &reversed));
        }
        assert_eq!(preferred_owner("x", &[]), None);
    }

    #[test]
    fn apps_spread_evenly_and_a_join_or_leave_moves_only_its_share() {
        let apps = apps(3000);
        let three = nodes(3);
        let count =
            |live: &[String], node: &str| apps.iter().filter(|a| preferred_owner(a, live) == Some(node)).count();
        for n in &three {
            let c = count(&three, n);
            assert!((850..=1150).contains(&c), "{n} owns {c} of 3000");
        }
        // A fourth node joins: it takes about a quarter; no app moves between the others.
        let four = nodes(4);
        let mut moved = 0;
        for a in &apps {
            let (before, after) = (preferred_owner(a, &three).unwrap(), preferred_owner(a, &four).unwrap());
            if before != after {
                assert_eq!(after, "node-3", "{a} moved between old nodes");
                moved += 1;
            }
        }
        assert!((600..=900).contains(&moved), "{moved} of 3000 moved to the new node");
        // node-1 leaves: only its apps move.
        let without: Vec<String> = three.iter().filter(|n| *n != "node-1").cloned().collect();
        for a in &apps {
            let before = preferred_owner(a, &three).unwrap();
            if before != "node-1" {
                assert_eq!(preferred_owner(a, &without).unwrap(), before);
            }
        }
    }
}
