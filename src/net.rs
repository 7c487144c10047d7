//! Sockets and addresses: the listening socket, `TCP_NODELAY`, LAN address guessing, the URLs to announce.
//!
//! Loupe never opens an outbound connection: LAN addresses come from the interface list, not from
//! "connect a UDP socket to 8.8.8.8 and look at the local address".

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::config::Config;

/// Pending connections the kernel may queue: an auditorium of phones joining at once must not be
/// refused while the accept loop catches up.
pub const BACKLOG: u32 = 4096;

/// Interface name prefixes of virtual networks (containers, VMs, VPNs): their addresses are
/// listed last, since phones on the Wi-Fi cannot reach them.
const VIRTUAL_PREFIXES: &[&str] = &[
    "docker",
    "br-",
    "veth",
    "virbr",
    "vmnet",
    "vboxnet",
    "lxc",
    "lxd",
    "cni",
    "flannel",
    "podman",
    "tun",
    "tap",
    "utun",
    "wg",
    "zt",
    "tailscale",
];

/// Binds the listening socket with `SO_REUSEADDR` (on Unix) and a backlog of [`BACKLOG`].
///
/// `SO_REUSEADDR` lets Loupe restart at once on the same port while old connections sit in
/// `TIME_WAIT`. It is not set on Windows, where it would let another program bind the same port.
/// Must be called from within a tokio runtime.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Turns Nagle's algorithm off on an accepted connection: quiz messages are small and must leave
/// at once. Failing is harmless (the connection only gets a little slower), so it is only traced.
pub fn set_nodelay(stream: &mut TcpStream) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::trace!(error = %err, "could not set TCP_NODELAY");
    }
}

/// This computer's LAN addresses, best guess first: IPv4 before IPv6, physical interfaces before
/// virtual ones; loopback and link-local addresses left out. Empty if the list cannot be read.
pub fn lan_addresses() -> Vec<IpAddr> {
    let Ok(interfaces) = if_addrs::get_if_addrs() else {
        return Vec::new();
    };
    let mut found: Vec<(bool, bool, IpAddr)> = interfaces
        .into_iter()
        .filter(|i| !i.is_loopback() && !i.is_link_local())
        .filter(|i| i.oper_status != if_addrs::IfOperStatus::Down)
        .map(|i| {
            let name = i.name.to_ascii_lowercase();
            let virtual_net = VIRTUAL_PREFIXES.iter().any(|p| name.starts_with(p));
            (i.ip().is_ipv6(), virtual_net, i.ip())
        })
        .collect();
    // Stable sort: within a group, the order the system lists interfaces in is kept.
    found.sort_by_key(|&(v6, virtual_net, _)| (v6, virtual_net));
    let mut out: Vec<IpAddr> = Vec::new();
    for (_, _, ip) in found {
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    out
}

/// `http://` URL of an address, with brackets around IPv6.
fn http_url(ip: IpAddr, port: u16) -> String {
    format!("http://{}", SocketAddr::new(ip, port))
}

/// The URLs pupils may use, best first: `--public-url` if given; else the bound address if Loupe
/// listens on one address only; else one per LAN address (possibly none).
pub fn pupil_urls(config: &Config, bound: SocketAddr, lan: &[IpAddr]) -> Vec<String> {
    if let Some(url) = &config.public_url {
        return vec![url.clone()];
    }
    if !bound.ip().is_unspecified() {
        return vec![http_url(bound.ip(), bound.port())];
    }
    let v4_only = bound.is_ipv4();
    lan.iter()
        .filter(|ip| !v4_only || ip.is_ipv4())
        .map(|&ip| http_url(ip, bound.port()))
        .collect()
}

/// The base URL for join links and QR codes: the first of [`pupil_urls`] (with this computer's
/// LAN addresses), else `http://localhost:PORT`.
pub fn public_url(config: &Config, bound: SocketAddr) -> String {
    pupil_urls(config, bound, &lan_addresses())
        .into_iter()
        .next()
        .unwrap_or_else(|| format!("http://localhost:{}", bound.port()))
}

/// The URL the teacher opens on the computer running Loupe.
pub fn teacher_url(bound: SocketAddr) -> String {
    if bound.ip().is_unspecified() || bound.ip().is_loopback() {
        format!("http://localhost:{}", bound.port())
    } else {
        http_url(bound.ip(), bound.port())
    }
}

/// The plain-words start-up message printed for whoever started Loupe.
pub fn startup_message(config: &Config, bound: SocketAddr) -> String {
    let pupils = pupil_urls(config, bound, &lan_addresses());
    let join = if pupils.is_empty() {
        format!(
            "{} on this computer only (no network address found)",
            teacher_url(bound)
        )
    } else {
        pupils.join(" or ")
    };
    format!(
        "Loupe is running. Teacher: open {}/host on this computer. \
         Pupils join at {join} (or the code on screen).",
        teacher_url(bound)
    )
}

/// Writes `ip:port` and a newline to `path` atomically (a temporary file beside it, then a
/// rename), so a reader never sees a half-written address.
pub fn write_ready_file(path: &Path, bound: SocketAddr) -> io::Result<()> {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "ready".into());
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(name);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        writeln!(file, "{bound}")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_url_flag_wins() {
        let config = Config {
            public_url: Some("https://quiz.example.org".into()),
            ..Config::default()
        };
        let lan = ["192.168.1.20".parse().unwrap()];
        assert_eq!(
            pupil_urls(&config, addr("0.0.0.0:8080"), &lan),
            ["https://quiz.example.org"]
        );
    }

    #[test]
    fn unspecified_bind_lists_lan_addresses() {
        let lan: Vec<IpAddr> = vec!["192.168.1.20".parse().unwrap(), "fd00::1".parse().unwrap()];
        let config = Config::default();
        assert_eq!(
            pupil_urls(&config, addr("0.0.0.0:8080"), &lan),
            ["http://192.168.1.20:8080"]
        );
        assert_eq!(
            pupil_urls(&config, addr("[::]:8080"), &lan),
            ["http://192.168.1.20:8080", "http://[fd00::1]:8080"]
        );
        assert!(pupil_urls(&config, addr("0.0.0.0:8080"), &[]).is_empty());
    }

    #[test]
    fn specific_bind_is_announced_as_is() {
        let lan = ["192.168.1.20".parse().unwrap()];
        let config = Config::default();
        assert_eq!(
            pupil_urls(&config, addr("127.0.0.1:9000"), &lan),
            ["http://127.0.0.1:9000"]
        );
        assert_eq!(teacher_url(addr("0.0.0.0:9000")), "http://localhost:9000");
        assert_eq!(teacher_url(addr("10.0.0.5:9000")), "http://10.0.0.5:9000");
    }

    #[test]
    fn lan_addresses_skip_loopback() {
        assert!(lan_addresses().iter().all(|ip| !ip.is_loopback()));
    }

    #[tokio::test]
    async fn bind_and_ready_file() -> io::Result<()> {
        let listener = bind(addr("127.0.0.1:0"))?;
        let bound = listener.local_addr()?;
        assert_ne!(bound.port(), 0);
        let path = std::env::temp_dir().join(format!("loupe-ready-{}", std::process::id()));
        write_ready_file(&path, bound)?;
        assert_eq!(std::fs::read_to_string(&path)?, format!("{bound}\n"));
        std::fs::remove_file(&path)
    }
}
