#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages spicebench starts or calls (run as root).
# Idempotent: skips apt entirely when everything is already there.
#   xserver-xspice  Xorg + spiceqxl driver: the embedded SPICE server (Xspice)
#   twm, xterm      the desktop a drag scenario moves windows on
#   imagemagick     the deterministic plasma picture behind the windows (convert, display)
#   x11-utils       xwininfo/xdpyinfo: tests read window geometry back from the X server
#   libpcap-dev     live packet capture (the pcap crate links libpcap)
#   tshark          the tests cross-check the capture analyser against Wireshark's dissector
#   chromium        the tests open the HTML report in a headless browser
set -euo pipefail

packages=(xserver-xspice twm xterm imagemagick x11-utils libpcap-dev tshark chromium)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps.sh: installing ${missing[*]}"
  apt-get update -q
  # tshark's package asks whether non-root users may capture; answer no, without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps.sh: cargo not found; install a Rust toolchain (1.88 or newer), e.g. with rustup" >&2
  exit 1
fi
echo "install-deps.sh: all packages present"
