//! How addresses compare in a search: an address or CIDR range as typed, and the keys
//! addresses are stored under so that a range is a key range.

use ipnet::IpNet;
use std::net::IpAddr;
use std::str::FromStr;

/// An address alone is the network of just that address (/32 or /128).
pub(crate) fn parse_network(value: &str) -> Option<IpNet> {
    if value.contains('/') {
        IpNet::from_str(value).ok().map(|net| net.trunc())
    } else {
        IpAddr::from_str(value).ok().map(IpNet::from)
    }
}

/// How addresses are stored for range search: a family byte (4 or 6) and the address's
/// bytes, so that byte order is address order and the families never mix. An address
/// that does not parse gets a key no range contains.
pub fn ip_key(ip: &str) -> Vec<u8> {
    match IpAddr::from_str(ip) {
        Ok(addr) => key_of(addr),
        Err(_) => vec![0],
    }
}

fn key_of(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(v4) => [&[4u8][..], &v4.octets()].concat(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // ::ffff:a.b.c.d is how a dual-stack socket reports an IPv4 client.
            Some(v4) => key_of(IpAddr::V4(v4)),
            None => [&[6u8][..], &v6.octets()].concat(),
        },
    }
}

/// The first and last key of a network, both included.
pub fn key_range(net: &IpNet) -> (Vec<u8>, Vec<u8>) {
    (key_of(net.network()), key_of(net.broadcast()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(net: &str, ip: &str) -> bool {
        let net = parse_network(net).unwrap();
        let (lo, hi) = key_range(&net);
        let key = ip_key(ip);
        lo <= key && key <= hi
    }

    #[test]
    fn addresses_and_ranges_match_by_key_order() {
        assert!(inside("203.0.113.0/24", "203.0.113.0"));
        assert!(inside("203.0.113.0/24", "203.0.113.255"));
        assert!(!inside("203.0.113.0/24", "203.0.114.0"));
        assert!(!inside("203.0.113.0/24", "203.0.112.255"));
        // /32 and a bare address are the same: that address only.
        assert!(inside("203.0.113.7/32", "203.0.113.7"));
        assert!(inside("203.0.113.7", "203.0.113.7"));
        assert!(!inside("203.0.113.7", "203.0.113.8"));
        // Host bits in a range are dropped: 203.0.113.7/24 means 203.0.113.0/24.
        assert!(inside("203.0.113.7/24", "203.0.113.200"));
        // /0 is every address of its family, and only of it.
        assert!(inside("0.0.0.0/0", "255.255.255.255"));
        assert!(!inside("0.0.0.0/0", "2001:db8::1"));
        assert!(inside("::/0", "2001:db8::1"));
        assert!(!inside("::/0", "10.0.0.1"));
        // IPv6, and IPv4 reported through a dual-stack socket.
        assert!(inside("2001:db8::/32", "2001:db8:ffff::1"));
        assert!(!inside("2001:db8::/32", "2001:db9::1"));
        assert!(inside("2001:db8::1/128", "2001:db8::1"));
        assert!(inside("10.0.0.0/8", "::ffff:10.1.2.3"));
        // An address that never parsed is in no range.
        assert!(!inside("0.0.0.0/0", "unknown"));
        assert!(!inside("::/0", "unknown"));
    }
}
