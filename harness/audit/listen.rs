//! Which addresses a local TCP port listens on, from `/proc/net/tcp` and `/proc/net/tcp6` (the
//! same table `ss -ltn` prints), in this process's network namespace.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, UdpSocket};

/// Whether `host` is an address of this machine (so its listeners can be read here).
pub fn is_local(host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => true,
        // Binding to an address works only if the machine has it.
        Ok(ip) => UdpSocket::bind((ip, 0)).is_ok(),
        Err(_) => host == "localhost",
    }
}

/// Whether `ip` is a loopback address, an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`) included.
pub fn is_loopback(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
        IpAddr::V4(v4) => v4.is_loopback(),
    }
}

/// The local addresses listening on `port`.
pub fn listeners(port: u16) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(table) = std::fs::read_to_string(file) else {
            continue;
        };
        out.extend(parse(&table, port, v6));
    }
    out
}

/// Listening addresses on `port` in one `/proc/net/tcp{,6}` table.
pub fn parse(table: &str, port: u16, v6: bool) -> Vec<IpAddr> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (cols.get(1)?, cols.get(3)?);
            let (addr, p) = local.split_once(':')?;
            if *state != "0A" || u16::from_str_radix(p, 16).ok()? != port {
                return None;
            }
            address(addr, v6)
        })
        .collect()
}

/// The kernel prints addresses as host-order 32-bit words in hex.
fn address(hex: &str, v6: bool) -> Option<IpAddr> {
    let word = |i: usize| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok();
    if v6 {
        let mut b = [0u8; 16];
        for i in 0..4 {
            b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?.to_le_bytes());
        }
        Some(IpAddr::V6(Ipv6Addr::from(b)))
    } else {
        Some(IpAddr::V4(Ipv4Addr::from(word(0)?.to_le_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listeners_from_the_kernel_table() {
        // Lines as the kernel prints them: 127.0.0.1:5930 and 0.0.0.0:5931 listening, one
        // established connection on 5930 that is not a listener.
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:172A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
           1: 00000000:172B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
           2: 0100007F:172A 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
        assert_eq!(
            parse(table, 5930, false),
            vec![IpAddr::from([127, 0, 0, 1])]
        );
        assert_eq!(parse(table, 5931, false), vec![IpAddr::from([0, 0, 0, 0])]);
        assert!(parse(table, 1, false).is_empty());
        let v6 = "  sl  local_address ...\n   0: 00000000000000000000000001000000:172A 00000000000000000000000000000000:0000 0A x\n";
        assert_eq!(parse(v6, 5930, true), vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        // Garbage lines are skipped, not a panic.
        assert!(parse("x\n0: zz:zz 0A\n", 5930, false).is_empty());
    }

    #[test]
    fn a_real_listener_is_seen() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(listeners(port), vec![IpAddr::from([127, 0, 0, 1])]);
        assert!(is_local("127.0.0.1"));
        assert!(!is_local("192.0.2.1"));
    }
}
