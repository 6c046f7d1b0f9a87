//! TCP segments from captured frames: link layer, IPv4/IPv6, TCP header, payload.
//!
//! Hand-rolled rather than built on a general packet parser because it runs once per
//! frame of every capture and only needs a dozen fields: a few bounds-checked loads per
//! layer and no allocation. Every read goes through `get`, so no frame can make it panic;
//! anything that is not a complete-enough TCP header over IP yields `None`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::LinkType;

/// A TCP segment decoded from a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender address and port.
    pub src: SocketAddr,
    /// Receiver address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when `ack_flag`).
    pub ack: u32,
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack_flag: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The captured payload bytes (Ethernet padding excluded).
    pub payload: &'a [u8],
    /// Payload length as claimed by the IP header minus the IP and TCP headers. Larger
    /// than `payload.len()` when the snaplen cut the frame.
    pub payload_len: u32,
}

/// Ethertypes of the VLAN tags skipped on the way to the network layer
/// (802.1Q, 802.1ad, and the pre-standard QinQ value).
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// More stacked tags than this is not a real frame; stop rather than walk a long chain.
const MAX_VLAN_TAGS: usize = 4;
/// Same bound for IPv6 extension headers.
const MAX_IPV6_EXTENSIONS: usize = 8;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const IPPROTO_TCP: u8 = 6;

/// The network layer a link header points to.
#[derive(Clone, Copy)]
enum Net {
    V4,
    V6,
}

/// Decodes a TCP segment from one captured frame of link type `link`.
///
/// Handles IPv4 and IPv6 (skipping extension headers), VLAN tags on Ethernet and Linux
/// cooked captures, and frames cut by the snaplen (see [`TcpSegment::payload_len`]).
/// Returns `None` for non-TCP frames, IP fragments (no reassembly), unsupported link
/// types and anything malformed. Never panics.
pub fn decode_tcp(link: LinkType, data: &[u8]) -> Option<TcpSegment<'_>> {
    let (net, off) = match link {
        LinkType::Ethernet => ethertype_net(data, be16(data, 12)?, 14)?,
        // SLL: 2 packet type, 2 ARPHRD, 2 address length, 8 address, 2 protocol.
        LinkType::LinuxSll => ethertype_net(data, be16(data, 14)?, 16)?,
        // SLL2: 2 protocol, 2 reserved, 4 ifindex, 2 ARPHRD, 1 packet type, 1 address
        // length, 8 address.
        LinkType::LinuxSll2 => ethertype_net(data, be16(data, 0)?, 20)?,
        LinkType::Null => {
            // Host byte order of the capturing machine, which the file does not record:
            // address families are small, so a value with high bits set was byte-swapped.
            let le = u32::from_le_bytes(data.get(..4)?.try_into().ok()?);
            let af = if le & 0xffff_0000 != 0 {
                le.swap_bytes()
            } else {
                le
            };
            (address_family_net(af)?, 4)
        }
        LinkType::Loop => (address_family_net(be32(data, 0)?)?, 4),
        LinkType::RawIp => match data.first()? >> 4 {
            4 => (Net::V4, 0),
            6 => (Net::V6, 0),
            _ => return None,
        },
        LinkType::Other(_) => return None,
    };
    let ip = data.get(off..)?;
    match net {
        Net::V4 => ipv4(ip),
        Net::V6 => ipv6(ip),
    }
}

/// Follows VLAN tags from `ethertype` (whose payload starts at `off`) to IPv4 or IPv6.
fn ethertype_net(data: &[u8], mut ethertype: u16, mut off: usize) -> Option<(Net, usize)> {
    let mut tags = 0;
    while VLAN_TAGS.contains(&ethertype) {
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return None;
        }
        // A tag is 2 bytes of TCI, then the next ethertype.
        ethertype = be16(data, off.checked_add(2)?)?;
        off = off.checked_add(4)?;
    }
    match ethertype {
        ETHERTYPE_IPV4 => Some((Net::V4, off)),
        ETHERTYPE_IPV6 => Some((Net::V6, off)),
        _ => None,
    }
}

/// `AF_INET` is 2 everywhere; `AF_INET6` is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD)
/// or 30 (macOS), and a capture file may come from any of them.
fn address_family_net(af: u32) -> Option<Net> {
    match af {
        2 => Some(Net::V4),
        10 | 24 | 28 | 30 => Some(Net::V6),
        _ => None,
    }
}

fn ipv4(p: &[u8]) -> Option<TcpSegment<'_>> {
    let b0 = *p.first()?;
    if b0 >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(b0 & 0x0f) * 4;
    if ihl < 20 || p.len() < ihl {
        return None;
    }
    let total = usize::from(be16(p, 2)?);
    // Total length 0 is what segmentation offload (TSO/GSO, BIG TCP) leaves in captured
    // super-packets; the captured length is then the best estimate, as tcpdump does.
    let ip_len = if total == 0 { p.len() } else { total };
    if ip_len < ihl {
        return None;
    }
    // Any fragment (More Fragments set, or a non-zero offset) lacks either the TCP header
    // or the rest of the payload, and reassembly is out of scope.
    if be16(p, 6)? & 0x3fff != 0 || *p.get(9)? != IPPROTO_TCP {
        return None;
    }
    let src = Ipv4Addr::from(be32(p, 12)?);
    let dst = Ipv4Addr::from(be32(p, 16)?);
    // The slice ends where the IP packet ends, which drops Ethernet padding.
    let seg = p.get(ihl..ip_len.min(p.len()))?;
    tcp(seg, ip_len - ihl, IpAddr::V4(src), IpAddr::V4(dst))
}

fn ipv6(p: &[u8]) -> Option<TcpSegment<'_>> {
    if p.len() < 40 || p.first()? >> 4 != 6 {
        return None;
    }
    let plen = usize::from(be16(p, 4)?);
    // Payload length 0 means a jumbogram or an offloaded super-packet: as for IPv4, use
    // what was captured.
    let ip_len = if plen == 0 { p.len() } else { 40 + plen };
    let avail = ip_len.min(p.len());
    let mut next = *p.get(6)?;
    let mut off = 40usize;
    let mut hops = 0;
    while next != IPPROTO_TCP {
        hops += 1;
        if hops > MAX_IPV6_EXTENSIONS {
            return None;
        }
        let len = match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6: length in
            // 8-octet units, not counting the first 8.
            0 | 43 | 60 | 135 | 139 | 140 => (usize::from(*p.get(off + 1)?) + 1) * 8,
            // Fragment: only an atomic fragment (offset 0, no More Fragments) holds a
            // whole segment.
            44 => {
                if be16(p, off + 2)? & 0xfff9 != 0 {
                    return None;
                }
                8
            }
            // Authentication header: length in 4-octet units, not counting the first 2.
            51 => (usize::from(*p.get(off + 1)?) + 2) * 4,
            // ESP (encrypted), no next header, or another transport.
            _ => return None,
        };
        next = *p.get(off)?;
        off += len;
        if off > avail {
            return None;
        }
    }
    let src = Ipv6Addr::from(be128(p, 8)?);
    let dst = Ipv6Addr::from(be128(p, 24)?);
    let seg = p.get(off..avail)?;
    tcp(seg, ip_len - off, IpAddr::V6(src), IpAddr::V6(dst))
}

/// The TCP header and payload. `seg` is what was captured of the segment; `claimed` is its
/// length according to the IP header.
fn tcp(seg: &[u8], claimed: usize, src: IpAddr, dst: IpAddr) -> Option<TcpSegment<'_>> {
    let h = seg.get(..20)?;
    let doff = usize::from(h[12] >> 4) * 4;
    if doff < 20 || doff > claimed {
        return None;
    }
    let flags = h[13];
    Some(TcpSegment {
        src: SocketAddr::new(src, u16::from_be_bytes([h[0], h[1]])),
        dst: SocketAddr::new(dst, u16::from_be_bytes([h[2], h[3]])),
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        fin: flags & 0x01 != 0,
        syn: flags & 0x02 != 0,
        rst: flags & 0x04 != 0,
        ack_flag: flags & 0x10 != 0,
        // When the snaplen cut the options, nothing of the payload was captured.
        payload: seg.get(doff..).unwrap_or(&[]),
        payload_len: u32::try_from(claimed - doff).unwrap_or(u32::MAX),
    })
}

fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn be128(b: &[u8], off: usize) -> Option<u128> {
    Some(u128::from_be_bytes(
        b.get(off..off.checked_add(16)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::open_file;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// An IPv4 TCP packet built by hand: 10.0.0.1:40000 -> 10.0.0.2:5930, seq 1000,
    /// ack 2000, PSH|ACK, 12 bytes of TCP options, payload "hello".
    fn ipv4_tcp() -> Vec<u8> {
        let payload = b"hello";
        let tcp_len = 32 + payload.len();
        let total = 20 + tcp_len;
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0x12,
            0x34,
            0x40,
            0,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        p.extend_from_slice(&40000u16.to_be_bytes());
        p.extend_from_slice(&5930u16.to_be_bytes());
        p.extend_from_slice(&1000u32.to_be_bytes());
        p.extend_from_slice(&2000u32.to_be_bytes());
        p.extend_from_slice(&[0x80, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]); // NOP NOP timestamps
        p.extend_from_slice(payload);
        p
    }

    /// The same segment over IPv6 ([2001:db8::1]:40000 -> [2001:db8::2]:5930), with a
    /// hop-by-hop header and an atomic fragment header before TCP.
    fn ipv6_tcp() -> Vec<u8> {
        let tcp = ipv4_tcp()[20..].to_vec();
        let ext_len = 8 + 8;
        let plen = ext_len + tcp.len();
        let mut p = vec![0x60, 0, 0, 0, (plen >> 8) as u8, plen as u8, 0, 64];
        p.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
        p.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
        // Hop-by-hop: next = fragment (44), len 0, PadN padding.
        p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        // Fragment: next = TCP, offset 0, M = 0, id 7.
        p.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 7]);
        p.extend_from_slice(&tcp);
        p
    }

    fn check_v4(seg: TcpSegment<'_>) {
        assert_eq!(seg.src, "10.0.0.1:40000".parse().unwrap());
        assert_eq!(seg.dst, "10.0.0.2:5930".parse().unwrap());
        assert_eq!((seg.seq, seg.ack), (1000, 2000));
        assert!(seg.ack_flag && !seg.syn && !seg.fin && !seg.rst);
        assert_eq!(seg.payload, b"hello");
        assert_eq!(seg.payload_len, 5);
    }

    fn ethernet(ethertype: u16, vlans: &[u16], ip: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
        for tpid in vlans {
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&0x0064u16.to_be_bytes()); // VLAN 100
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(ip);
        f
    }

    #[test]
    fn every_link_type_decodes_ipv4() {
        let ip = ipv4_tcp();
        check_v4(decode_tcp(LinkType::RawIp, &ip).unwrap());
        check_v4(decode_tcp(LinkType::Ethernet, &ethernet(0x0800, &[], &ip)).unwrap());
        check_v4(decode_tcp(LinkType::Ethernet, &ethernet(0x0800, &[0x8100], &ip)).unwrap());
        check_v4(
            decode_tcp(
                LinkType::Ethernet,
                &ethernet(0x0800, &[0x88a8, 0x8100], &ip),
            )
            .unwrap(),
        );

        // BSD loopback in both host byte orders, OpenBSD loopback big-endian.
        for hdr in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let f = [&hdr[..], &ip].concat();
            check_v4(decode_tcp(LinkType::Null, &f).unwrap());
        }
        check_v4(decode_tcp(LinkType::Loop, &[&[0, 0, 0, 2][..], &ip].concat()).unwrap());
        assert!(decode_tcp(LinkType::Loop, &[&[2, 0, 0, 0][..], &ip].concat()).is_none());

        // Linux cooked v1: outgoing (4), ARPHRD_ETHER, 6-byte address, protocol IPv4.
        let mut sll = vec![0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        check_v4(decode_tcp(LinkType::LinuxSll, &sll).unwrap());
        // ... with a VLAN tag that libpcap put back after the header.
        let mut sll_vlan = vec![0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x00];
        sll_vlan.extend_from_slice(&[0, 100, 0x08, 0x00]);
        sll_vlan.extend_from_slice(&ip);
        check_v4(decode_tcp(LinkType::LinuxSll, &sll_vlan).unwrap());

        // Linux cooked v2: protocol, reserved, ifindex 1, ARPHRD_LOOPBACK, host, 6, address.
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6];
        sll2.extend_from_slice(&[0; 8]);
        sll2.extend_from_slice(&ip);
        check_v4(decode_tcp(LinkType::LinuxSll2, &sll2).unwrap());

        assert!(decode_tcp(LinkType::Other(147), &ip).is_none());
    }

    #[test]
    fn ipv6_with_extension_headers() {
        let ip = ipv6_tcp();
        let check = |seg: TcpSegment<'_>| {
            assert_eq!(seg.src, "[2001:db8::1]:40000".parse().unwrap());
            assert_eq!(seg.dst, "[2001:db8::2]:5930".parse().unwrap());
            assert_eq!((seg.seq, seg.ack), (1000, 2000));
            assert_eq!(seg.payload, b"hello");
            assert_eq!(seg.payload_len, 5);
        };
        check(decode_tcp(LinkType::RawIp, &ip).unwrap());
        check(decode_tcp(LinkType::Ethernet, &ethernet(0x86dd, &[0x8100], &ip)).unwrap());
        for af in [10u32, 24, 28, 30] {
            check(decode_tcp(LinkType::Null, &[&af.to_le_bytes()[..], &ip].concat()).unwrap());
            check(decode_tcp(LinkType::Loop, &[&af.to_be_bytes()[..], &ip].concat()).unwrap());
        }
        let mut sll2 = vec![0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 0];
        sll2.extend_from_slice(&[0; 8]);
        sll2.extend_from_slice(&ip);
        check(decode_tcp(LinkType::LinuxSll2, &sll2).unwrap());

        // A real (non-atomic) fragment is not decoded.
        let mut frag = ip.clone();
        frag[40 + 8 + 3] = 1; // M flag
        assert!(decode_tcp(LinkType::RawIp, &frag).is_none());
        // Neither is ESP.
        let mut esp = ip.clone();
        esp[40] = 50;
        assert!(decode_tcp(LinkType::RawIp, &esp).is_none());
    }

    #[test]
    fn snaplen_cut_and_padding() {
        let ip = ipv4_tcp();
        // Cut in the payload: 2 of 5 bytes captured, the IP header still claims 5.
        let cut = &ip[..ip.len() - 3];
        let seg = decode_tcp(LinkType::RawIp, cut).unwrap();
        assert_eq!((seg.payload, seg.payload_len), (&b"he"[..], 5));
        // Cut inside the TCP options: header fields known, no payload bytes.
        let seg = decode_tcp(LinkType::RawIp, &ip[..20 + 24]).unwrap();
        assert_eq!((seg.payload.len(), seg.payload_len, seg.seq), (0, 5, 1000));
        // Cut inside the fixed TCP header: nothing usable.
        assert!(decode_tcp(LinkType::RawIp, &ip[..20 + 19]).is_none());
        // Ethernet padding after the IP packet is not payload.
        let mut padded = ethernet(0x0800, &[], &ip);
        padded.extend_from_slice(&[0; 6]);
        check_v4(decode_tcp(LinkType::Ethernet, &padded).unwrap());
        // Offload: total length 0 means "as captured".
        let mut tso = ip.clone();
        tso[2] = 0;
        tso[3] = 0;
        check_v4(decode_tcp(LinkType::RawIp, &tso).unwrap());
    }

    #[test]
    fn not_tcp_or_garbage_is_none() {
        let ip = ipv4_tcp();
        let mut udp = ip.clone();
        udp[9] = 17;
        assert!(decode_tcp(LinkType::RawIp, &udp).is_none());
        let mut frag = ip.clone();
        frag[6] = 0x20; // More Fragments
        assert!(decode_tcp(LinkType::RawIp, &frag).is_none());
        let mut bad_doff = ip.clone();
        bad_doff[20 + 12] = 0x40; // 16-byte TCP header
        assert!(decode_tcp(LinkType::RawIp, &bad_doff).is_none());
        let mut huge_doff = ip.clone();
        huge_doff[3] = 40; // IP total 40: TCP claims 20 bytes but data offset says 32
        assert!(decode_tcp(LinkType::RawIp, &huge_doff).is_none());
        assert!(decode_tcp(LinkType::Ethernet, &ethernet(0x0806, &[], &ip)).is_none());
        assert!(decode_tcp(LinkType::Ethernet, &ethernet(0x0800, &[0x8100; 5], &ip)).is_none());
        assert!(decode_tcp(LinkType::RawIp, &[]).is_none());
        assert!(decode_tcp(LinkType::Ethernet, &[0x08]).is_none());
        // Every prefix and every single-byte corruption of every framing: no panic.
        let frames = [
            (LinkType::Ethernet, ethernet(0x8100, &[0x8100], &ipv6_tcp())),
            (LinkType::RawIp, ipv6_tcp()),
            (LinkType::RawIp, ip.clone()),
            (LinkType::Null, [&[2, 0, 0, 0][..], &ip].concat()),
        ];
        for (link, f) in frames {
            for n in 0..=f.len() {
                let _ = decode_tcp(link, &f[..n]);
            }
            for i in 0..f.len() {
                for v in [0u8, 0xff, 0x0f, 0x60, 0x2c] {
                    let mut g = f.clone();
                    g[i] = v;
                    let _ = decode_tcp(link, &g);
                }
            }
        }
    }

    /// Frames built by etherparse (an independent encoder) decode to what it was told.
    #[test]
    fn agrees_with_etherparse_builder() {
        use etherparse::PacketBuilder;
        let payload = [7u8; 300];
        let mut frame = Vec::new();
        PacketBuilder::ethernet2([1; 6], [2; 6])
            .single_vlan(0x123.try_into().unwrap())
            .ipv6([0x20; 16], [0x21; 16], 64)
            .tcp(5930, 41644, 0xdead_beef, 4096)
            .ack(77)
            .fin()
            .write(&mut frame, &payload)
            .unwrap();
        let seg = decode_tcp(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(
            seg.src,
            SocketAddr::new(Ipv6Addr::from([0x20; 16]).into(), 5930)
        );
        assert_eq!(
            seg.dst,
            SocketAddr::new(Ipv6Addr::from([0x21; 16]).into(), 41644)
        );
        assert_eq!(
            (seg.seq, seg.ack, seg.ack_flag, seg.fin),
            (0xdead_beef, 77, true, true)
        );
        assert_eq!((seg.payload, seg.payload_len), (&payload[..], 300));

        let mut frame = Vec::new();
        PacketBuilder::linux_sll(
            etherparse::LinuxSllPacketType::OUTGOING,
            6,
            [1, 2, 3, 4, 5, 6, 0, 0],
        )
        .ipv4([127, 0, 0, 1], [127, 0, 0, 2], 64)
        .tcp(1, 2, 3, 4)
        .syn()
        .write(&mut frame, &[])
        .unwrap();
        let seg = decode_tcp(LinkType::LinuxSll, &frame).unwrap();
        assert_eq!(seg.src, "127.0.0.1:1".parse().unwrap());
        assert_eq!(seg.dst, "127.0.0.2:2".parse().unwrap());
        assert!(seg.syn && !seg.ack_flag);
        assert_eq!((seg.seq, seg.payload_len), (3, 0));
    }

    fn sample(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    /// Every frame of the real capture is TCP to or from port 5930, and the payload bytes
    /// per direction equal what tshark counts:
    /// `tshark -r xspice-remote-viewer.pcapng -T fields -e ip.src -e tcp.srcport -e ip.dst
    /// -e tcp.dstport -e tcp.len`, summed per 4-tuple (tshark 4.0.17).
    #[test]
    fn sample_payload_matches_tshark() {
        let mut src = open_file(&sample("xspice-remote-viewer.pcapng")).unwrap();
        let mut sums: BTreeMap<(u16, u16), (u64, u64)> = BTreeMap::new();
        let mut total = 0u64;
        while let Some(p) = src.next_packet().unwrap() {
            assert_eq!(p.link, LinkType::Ethernet);
            let seg = decode_tcp(p.link, p.data).expect("every frame is TCP");
            assert!(seg.src.port() == 5930 || seg.dst.port() == 5930);
            assert_eq!(seg.src.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
            // Nothing was cut by the snaplen in this capture.
            assert_eq!(seg.payload.len() as u32, seg.payload_len);
            let e = sums.entry((seg.src.port(), seg.dst.port())).or_default();
            e.0 += 1;
            e.1 += u64::from(seg.payload_len);
            total += u64::from(seg.payload_len);
        }
        let want: BTreeMap<(u16, u16), (u64, u64)> = [
            ((41644, 5930), (27, 350)),
            ((41648, 5930), (434, 1038)),
            ((41654, 5930), (14, 222)),
            ((41658, 5930), (11, 216)),
            ((5930, 41644), (31, 256_509)),
            ((5930, 41648), (897, 370_386)),
            ((5930, 41654), (15, 258)),
            ((5930, 41658), (12, 269)),
        ]
        .into_iter()
        .collect();
        assert_eq!(sums, want);
        assert_eq!(total, 629_248);
    }

    /// Differential check against etherparse's parser on every frame of the sample and on
    /// corrupted copies of them: where etherparse sees a complete TCP header over IP, we
    /// agree on ports, seq, ack and payload.
    #[test]
    fn agrees_with_etherparse_parser_on_sample() {
        use etherparse::{NetSlice, SlicedPacket, TransportSlice};
        let mut src = open_file(&sample("xspice-remote-viewer.pcapng")).unwrap();
        let mut n = 0;
        while let Some(p) = src.next_packet().unwrap() {
            let mut frame = p.data.to_vec();
            // Corrupt one byte per frame at a rotating position, so the walk covers the
            // Ethernet, IP and TCP headers of different frames.
            let i = n % 80;
            let original = frame.clone();
            for f in [&original, &{
                if i < frame.len() {
                    frame[i] ^= 0x5a;
                }
                frame
            }] {
                let ours = decode_tcp(LinkType::Ethernet, f);
                let theirs = SlicedPacket::from_ethernet(f).ok();
                let theirs = theirs.and_then(|s| match (s.net, s.transport) {
                    (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Tcp(t)))
                        if !ip.is_payload_fragmented() =>
                    {
                        Some((
                            t.source_port(),
                            t.destination_port(),
                            t.sequence_number(),
                            t.acknowledgment_number(),
                            t.payload().to_vec(),
                        ))
                    }
                    _ => None,
                });
                if let Some((sp, dp, seq, ack, payload)) = theirs {
                    let ours = ours.expect("etherparse decoded a segment we did not");
                    assert_eq!(
                        (ours.src.port(), ours.dst.port(), ours.seq, ours.ack),
                        (sp, dp, seq, ack)
                    );
                    assert_eq!(ours.payload, &payload[..]);
                }
            }
            n += 1;
        }
        assert_eq!(n, 1441);
    }
}
