//! Who the client is, by IP: the connecting address, or — only behind proxies configured as
//! trusted — the address they recorded in `X-Forwarded-For`. A client can write anything into
//! that header, so only the entries appended by trusted proxies are believed.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// `FERRULE_TRUSTED_PROXIES`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustedProxies {
    /// The connecting address is the client.
    None,
    /// Exactly this many proxies stand in front of every request: each appended the address it
    /// was connected from, so the client is the N-th entry from the right. The service must not be
    /// reachable but through them.
    Count(usize),
    /// Proxies at these addresses are believed: the client is the right-most entry that is not one
    /// of them (when the connecting address is one of them).
    Networks(Vec<IpNet>),
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() || text == "0" {
            return Ok(TrustedProxies::None);
        }
        if let Ok(count) = text.parse::<usize>() {
            return Ok(TrustedProxies::Count(count));
        }
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{part:?} is neither a proxy count, a CIDR (10.0.0.0/8) nor an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies::Networks(networks))
    }
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        match self {
            TrustedProxies::Networks(networks) => networks.iter().any(|network| network.contains(&ip)),
            _ => false,
        }
    }
}

/// The client's IP: `peer` is the connecting address (none when the server was not told it).
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = peer.map(|ip| ip.to_canonical());
    match trusted {
        TrustedProxies::None | TrustedProxies::Count(0) => peer,
        TrustedProxies::Count(count) => {
            let entries = forwarded_for(headers);
            // The last proxy is the peer; the one before it appended the last entry, and so on.
            let index = entries.len().saturating_sub(*count);
            // Fewer entries than proxies: the left-most is the nearest to the client there is.
            // An entry that is not an address: the peer (all such clients share its bucket).
            entries.get(index.min(entries.len().saturating_sub(1))).and_then(|entry| parse(entry)).or(peer)
        }
        TrustedProxies::Networks(_) => {
            let mut client = peer?;
            if !trusted.trusts(client) {
                return Some(client);
            }
            for entry in forwarded_for(headers).iter().rev() {
                // Garbage from beyond the trusted proxies: the last trusted hop stands for it.
                let Some(ip) = parse(entry) else { return Some(client) };
                client = ip;
                if !trusted.trusts(ip) {
                    break;
                }
            }
            Some(client)
        }
    }
}

/// Every `X-Forwarded-For` entry, left to right, over all its header lines.
fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect()
}

/// An entry: `1.2.3.4`, `2001:db8::1`, or with a port (`1.2.3.4:5678`, `[2001:db8::1]:5678`).
fn parse(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

/// The rate-limit bucket of an IP: the address itself for IPv4; the /64 for IPv6, since a single
/// subscriber is handed a whole /64 and could otherwise take a fresh bucket per request.
pub fn bucket(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(line).unwrap_or_else(|e| panic!("{e}")));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let spoofed = headers(&["6.6.6.6"]);
        assert_eq!(client_ip(Some(ip("10.0.0.1")), &spoofed, &TrustedProxies::None), Some(ip("10.0.0.1")));
        assert_eq!(client_ip(None, &spoofed, &TrustedProxies::None), None);
    }

    #[test]
    fn a_count_of_proxies_takes_the_entry_they_appended() {
        let chain = headers(&["6.6.6.6, 1.2.3.4", "172.16.0.5"]);
        let peer = Some(ip("172.16.0.9"));
        assert_eq!(client_ip(peer, &chain, &TrustedProxies::Count(1)), Some(ip("172.16.0.5")));
        assert_eq!(client_ip(peer, &chain, &TrustedProxies::Count(2)), Some(ip("1.2.3.4")));
        assert_eq!(
            client_ip(peer, &chain, &TrustedProxies::Count(9)),
            Some(ip("6.6.6.6")),
            "fewer entries than proxies"
        );
        assert_eq!(client_ip(peer, &HeaderMap::new(), &TrustedProxies::Count(1)), peer, "no header: the peer");
        assert_eq!(client_ip(peer, &headers(&["nonsense"]), &TrustedProxies::Count(1)), peer);
    }

    #[test]
    fn trusted_networks_are_skipped_from_the_right() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.168.1.7".parse().unwrap_or_else(|e| panic!("{e}"));
        let chain = headers(&["6.6.6.6, 1.2.3.4, 10.1.1.1"]);
        assert_eq!(client_ip(Some(ip("192.168.1.7")), &chain, &trusted), Some(ip("1.2.3.4")));
        assert_eq!(
            client_ip(Some(ip("8.8.8.8")), &chain, &trusted),
            Some(ip("8.8.8.8")),
            "a peer that is not a trusted proxy is the client, whatever it forwards"
        );
        let all_trusted = headers(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &all_trusted, &trusted), Some(ip("10.9.9.9")));
        let garbage = headers(&["junk, 10.1.1.1"]);
        assert_eq!(client_ip(Some(ip("10.0.0.2")), &garbage, &trusted), Some(ip("10.1.1.1")));
    }

    #[test]
    fn entries_may_carry_ports_and_brackets() {
        assert_eq!(parse("1.2.3.4:5678"), Some(ip("1.2.3.4")));
        assert_eq!(parse("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse("::ffff:1.2.3.4"), Some(ip("1.2.3.4")));
        assert_eq!(parse("unknown"), None);
    }

    #[test]
    fn the_setting_reads_a_count_or_networks() {
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::None));
        assert_eq!("0".parse::<TrustedProxies>(), Ok(TrustedProxies::None));
        assert_eq!("2".parse::<TrustedProxies>(), Ok(TrustedProxies::Count(2)));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
    }

    proptest! {
        #[test]
        fn an_ipv6_client_keeps_its_bucket_across_its_64(high in any::<u64>(), low_a in any::<u64>(), low_b in any::<u64>()) {
            let a = IpAddr::V6(Ipv6Addr::from((u128::from(high) << 64) | u128::from(low_a)));
            let b = IpAddr::V6(Ipv6Addr::from((u128::from(high) << 64) | u128::from(low_b)));
            prop_assert_eq!(bucket(a), bucket(b));
        }

        #[test]
        fn ipv4_clients_have_a_bucket_each(a in any::<u32>(), b in any::<u32>()) {
            let (x, y) = (IpAddr::from(a.to_be_bytes()), IpAddr::from(b.to_be_bytes()));
            prop_assert_eq!(bucket(x) == bucket(y), a == b);
        }

        /// With a count of proxies, what the client writes to the left of their entries never
        /// changes who it is.
        #[test]
        fn a_client_cannot_choose_its_ip_behind_counted_proxies(
            spoofed in proptest::collection::vec(any::<u32>(), 0..5),
            real in any::<u32>(),
        ) {
            let mut line: Vec<String> = spoofed.iter().map(|s| IpAddr::from(s.to_be_bytes()).to_string()).collect();
            line.push(IpAddr::from(real.to_be_bytes()).to_string());
            let got = client_ip(Some(ip("10.0.0.1")), &headers(&[&line.join(", ")]), &TrustedProxies::Count(1));
            prop_assert_eq!(got, Some(IpAddr::from(real.to_be_bytes())));
        }
    }
}
