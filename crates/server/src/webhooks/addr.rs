//! Where webhooks may go: never to loopback, link-local (cloud metadata), private,
//! shared, multicast or unspecified addresses, unless the operator allows a network
//! (`--webhook-allow`). Checked when a subscription is saved (an address in the URL)
//! and again at every delivery, on the addresses the receiver's name resolves to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// A network in CIDR form (`10.0.0.0/8`, `::1/128`; a bare address is /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn parse(s: &str) -> Result<Net, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| format!("'{s}' is not an address or network (e.g. 10.0.0.0/8)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("'{s}': the prefix must be 0 to {max}"))?,
            None => max,
        };
        Ok(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Why a receiver at `ip` is refused, if it is.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(a) => forbidden_v4(a),
        IpAddr::V6(a) => forbidden_v6(a),
    }
}

fn forbidden_v4(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    if a.is_unspecified() || o[0] == 0 {
        Some("an unspecified address")
    } else if a.is_loopback() {
        Some("a loopback address")
    } else if a.is_link_local() {
        Some("a link-local address (such as cloud metadata)")
    } else if a.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
        Some("a private address")
    } else if a.is_multicast() || a.is_broadcast() || o[0] >= 240 {
        Some("a multicast, broadcast or reserved address")
    } else {
        None
    }
}

fn forbidden_v6(a: Ipv6Addr) -> Option<&'static str> {
    let first = a.segments()[0];
    if a.is_unspecified() {
        Some("an unspecified address")
    } else if a.is_loopback() {
        Some("a loopback address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private address")
    } else if a.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// The operator's allowed networks, and the check against them.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub allow: Arc<Vec<Net>>,
}

impl Policy {
    /// Whether a receiver at `ip` may be called; the reason when not.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        match forbidden(ip) {
            Some(why) if !self.allow.iter().any(|n| n.contains(ip)) => {
                Err(format!("refused: {ip} is {why}; webhooks go to public addresses (or allow the network with --webhook-allow)"))
            }
            _ => Ok(()),
        }
    }

    /// The host of a URL if it is an address literal or `localhost`: checked at once.
    pub fn check_url_host(&self, url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid url: {e}"))?;
        match parsed.host() {
            Some(url::Host::Ipv4(a)) => self.check(IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => self.check(IpAddr::V6(a)),
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost") => {
                self.check(IpAddr::V4(Ipv4Addr::LOCALHOST))
            }
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err("invalid url: no host".into()),
        }
    }
}

/// A DNS resolver for the delivery client that drops refused addresses, so a name that
/// resolves (or is re-pointed) to a private address is refused at delivery time.
pub struct CheckedResolver {
    pub policy: Policy,
    /// Names answered from here instead of the system's resolver, checked the same way
    /// ([`crate::Config::webhook_hosts`]).
    pub hosts: Arc<Vec<(String, IpAddr)>>,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let fixed: Vec<SocketAddr> =
            self.hosts.iter().filter(|(h, _)| h.eq_ignore_ascii_case(name.as_str())).map(|(_, ip)| SocketAddr::new(*ip, 0)).collect();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                if fixed.is_empty() { tokio::net::lookup_host((host.as_str(), 0)).await?.collect() } else { fixed };
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match policy.check(a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refusal = Some(e);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} has no address"));
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        let p = Policy::default();
        for bad in ["127.0.0.1", "169.254.169.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "100.64.0.1"] {
            assert!(p.check(bad.parse().unwrap()).is_err(), "{bad}");
        }
        for good in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(p.check(good.parse().unwrap()).is_ok(), "{good}");
        }
        let p = Policy { allow: Arc::new(vec![Net::parse("127.0.0.0/8").unwrap()]) };
        assert!(p.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(p.check("10.0.0.1".parse().unwrap()).is_err());
        assert!(p.check_url_host("http://localhost:9/x").is_ok());
        assert!(Policy::default().check_url_host("http://LOCALHOST/x").is_err());
        assert!(Policy::default().check_url_host("http://[::1]:80/").is_err());
        assert!(Net::parse("10.0.0.0/33").is_err() && Net::parse("nope").is_err());
    }
}
