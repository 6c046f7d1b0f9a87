//! The emulated link between two namespaces, measured from inside them with real TCP: the
//! round trip shows both one-way delays, a rate-limited link carries a bulk transfer at its
//! rate, and nothing (namespace, device, thread) is left afterwards. Traffic goes only
//! between the two namespaces' own addresses.
//! Needs root, iproute2 (`ip`) and `/dev/net/tun`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use spicebench::lab::linked_hosts::{LinkedHosts, Side, DEVICE};
use spicebench::lab::netns;
use spicebench::lab::tun::Tun;
use spicebench::link::{LinkProfile, QueueLimit, Rate};

/// One live link at a time: two at once would share the two cores and blur the timings.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn ip(args: &[&str]) -> String {
    let out = Command::new(netns::ip_program().unwrap())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "ip {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Names of the two namespaces, to check they are gone after the drop.
fn names(hosts: &LinkedHosts) -> [String; 2] {
    [Side::Server, Side::Viewer].map(|s| hosts.netns(s).name().to_string())
}

/// The forwarding threads of this process still running.
fn link_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|c| c.starts_with("spb-link"))
        .count()
}

fn assert_removed(names: &[String; 2]) {
    let listed = ip(&["netns", "list"]);
    for n in names {
        assert!(!netns::exists(n), "{n} left behind");
        assert!(!listed.contains(n.as_str()), "{n} still listed:\n{listed}");
    }
    assert!(
        !ip(&["-o", "link"]).contains(DEVICE),
        "a link device in the machine's namespace"
    );
    assert_eq!(link_threads(), 0, "forwarding threads left");
}

/// A TCP echo server in the server's namespace for `connections` connections.
fn echo_server(hosts: &LinkedHosts, connections: usize) -> SocketAddr {
    let addr = hosts.address(Side::Server);
    let listener = hosts
        .run_in(Side::Server, || TcpListener::bind((addr, 0)))
        .unwrap()
        .unwrap();
    let local = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().take(connections).flatten() {
            std::thread::spawn(move || {
                let _ = conn.set_nodelay(true);
                let mut buf = [0u8; 64];
                while let Ok(n @ 1..) = conn.read(&mut buf) {
                    if conn.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    local
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn both_one_way_delays_show_in_the_round_trip_and_nothing_is_left() {
    let _one = serial();
    let delay = Duration::from_millis(20);
    let profile = LinkProfile {
        delay,
        ..LinkProfile::ideal()
    };
    let hosts = LinkedHosts::create(profile.clone(), profile).unwrap();
    let names = names(&hosts);
    let listed = ip(&["netns", "list"]);
    for n in &names {
        assert!(listed.contains(n.as_str()), "{n} not in:\n{listed}");
    }

    // A child process started inside the server's namespace sees the server's address.
    let mut cmd = Command::new(netns::ip_program().unwrap());
    cmd.args(["-o", "-4", "addr", "show", "dev", DEVICE]);
    hosts.enter(Side::Server, &mut cmd);
    let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
    assert!(
        out.contains(&format!("{}/24", hosts.address(Side::Server))),
        "{out}"
    );

    let server = echo_server(&hosts, 5);
    let (handshakes, echoes) = hosts
        .run_in(Side::Viewer, || {
            let mut handshakes = Vec::new();
            let mut echoes = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let mut s = TcpStream::connect_timeout(&server, Duration::from_secs(2)).unwrap();
                handshakes.push(t.elapsed());
                s.set_nodelay(true).unwrap();
                let mut byte = [0u8; 1];
                for _ in 0..3 {
                    let t = Instant::now();
                    s.write_all(b"x").unwrap();
                    s.read_exact(&mut byte).unwrap();
                    echoes.push(t.elapsed());
                }
            }
            (handshakes, echoes)
        })
        .unwrap();
    eprintln!("20 ms each way: TCP handshakes {handshakes:?}, echoes {echoes:?}");
    let rtt = 2 * delay;
    for sample in handshakes.iter().chain(&echoes) {
        assert!(
            *sample >= rtt,
            "a round trip of {sample:?} beat the link's {rtt:?}"
        );
    }
    for (what, samples) in [("handshake", handshakes), ("echo", echoes)] {
        let m = median(samples);
        assert!(
            m < rtt + Duration::from_millis(25),
            "{what} median {m:?}, link {rtt:?}"
        );
    }
    let c = hosts.counters();
    // Per connection at least the handshake's and the echoes' packets each way.
    assert!(c.up.packets_out >= 20 && c.down.packets_out >= 20, "{c:?}");
    assert_eq!(
        c.up.lost + c.up.queue_drops + c.down.lost + c.down.queue_drops,
        0
    );

    drop(hosts);
    assert_removed(&names);
}

#[test]
fn a_rate_limited_link_carries_a_bulk_transfer_at_its_rate() {
    let _one = serial();
    let rate = 8_000_000u64;
    let profile = LinkProfile {
        rate: Rate::from_bits_per_second(rate),
        delay: Duration::from_millis(5),
        queue: QueueLimit::Packets(100),
        ..LinkProfile::ideal()
    };
    let hosts = LinkedHosts::create(profile.clone(), profile).unwrap();
    let names = names(&hosts);

    const TOTAL: usize = 2_000_000;
    /// Slow start is over by then: the rate is measured from here to the end.
    const MARK: usize = 250_000;
    let addr = hosts.address(Side::Viewer);
    let listener = hosts
        .run_in(Side::Viewer, || TcpListener::bind((addr, 0)))
        .unwrap()
        .unwrap();
    let target = listener.local_addr().unwrap();
    // The server sends, as a display channel would.
    let sender = hosts
        .run_in(Side::Server, || TcpStream::connect(target))
        .unwrap()
        .unwrap();
    let sending = std::thread::spawn(move || {
        let mut sender = sender;
        sender.write_all(&vec![0x5a; TOTAL]).unwrap();
    });
    let (mut receiver, _) = listener.accept().unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut got = 0;
    let mut mark = None;
    while got < TOTAL {
        let n = receiver.read(&mut buf).unwrap();
        assert!(n > 0, "the sender closed early at {got}");
        got += n;
        if mark.is_none() && got >= MARK {
            mark = Some((Instant::now(), got, hosts.counters().down.bytes_out));
        }
    }
    let end = Instant::now();
    let wire_end = hosts.counters().down.bytes_out;
    sending.join().unwrap();
    let (t0, got0, wire0) = mark.unwrap();
    let seconds = (end - t0).as_secs_f64();
    let goodput = (got - got0) as f64 * 8.0 / seconds;
    let ip_rate = (wire_end - wire0) as f64 * 8.0 / seconds;
    eprintln!(
        "8 Mbit/s link: TCP payload {:.3} Mbit/s, IP packets {:.3} Mbit/s over {seconds:.2} s; {:?}",
        goodput / 1e6,
        ip_rate / 1e6,
        hosts.counters()
    );
    let r = rate as f64;
    assert!(
        (0.85 * r..=1.15 * r).contains(&goodput),
        "payload {goodput:.0} bit/s against {rate}"
    );
    assert!(
        (0.9 * r..=1.1 * r).contains(&ip_rate),
        "IP {ip_rate:.0} bit/s against {rate}"
    );

    drop(hosts);
    assert_removed(&names);
}

#[test]
fn namespaces_of_dead_runs_are_swept_and_bad_device_names_refused() {
    let _one = serial();
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let stale = format!("{}p{pid}s1.0-srv", netns::PREFIX);
    ip(&["netns", "add", &stale]);
    assert!(netns::exists(&stale));
    assert!(netns::sweep_abandoned() >= 1);
    assert!(!netns::exists(&stale), "{stale} survived the sweep");

    // A live owner's namespace is left alone.
    let hosts = LinkedHosts::create(LinkProfile::ideal(), LinkProfile::ideal()).unwrap();
    netns::sweep_abandoned();
    let names = names(&hosts);
    assert!(names.iter().all(|n| netns::exists(n)));
    for bad in ["", "sixteen-bytes-xx", "a/b"] {
        let err = Tun::create_in(hosts.netns(Side::Server), bad).unwrap_err();
        assert!(err.to_string().contains("1 to 15 bytes"), "{bad:?}: {err}");
    }
    drop(hosts);
    assert_removed(&names);
}
