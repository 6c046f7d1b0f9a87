#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages spicebench starts or calls (run as root).
# Idempotent: skips apt entirely when everything is already there.
#   xserver-xspice  Xorg + spiceqxl driver: the embedded SPICE server (Xspice)
#   twm, xterm      the desktop a drag scenario moves windows on
#   x11-xserver-utils, adwaita-icon-theme
#                   xsetroot and a themed (ARGB) cursor: Xspice sends those on the cursor
#                   channel, where it draws the X server's built-in cursors into the screen
#   x11-apps        xclock, for a scenario's idle_activity = "clock"
#   imagemagick     the deterministic plasma picture behind the windows (convert, display)
#   x11-utils       xwininfo/xdpyinfo: tests read window geometry back from the X server
#   libpcap-dev     live packet capture (the pcap crate links libpcap)
#   tshark          the tests cross-check the capture analyser against Wireshark's dissector
#   chromium        the tests open the HTML report in a headless browser
#   openssh-server, openssh-client, xauth
#                   the ssh-tunnel and ssh-x transports (a private sshd per run; xauth for -X)
#   openssl         the tests make a weak certificate with it (an outside tool) for audit
#   g++             CI type-checks the fuzz crate, whose libfuzzer-sys builds libFuzzer (C++)
#   libreoffice-draw
#                   scenarios/lodraw.toml: shapes in a Draw document moved over the inputs channel
#   picom           `[desktop] compositor = true`: a compositing manager under twm (it redraws
#                   whole windows, which multiplies display traffic)
#   gstreamer1.0-plugins-good, gstreamer1.0-plugins-ugly
#                   the GStreamer encoders spice-server streams video with for
#                   video_codecs = "gstreamer:vp8" / "gstreamer:h264" (scenarios/video-codecs.toml)
#   mmdebstrap      `spicebench guest build`: the QEMU desktop guest's Debian root file system
#                   (installed without Recommends, which would pull in more than it needs)
#   qemu-system-x86 `kind = "qemu"` targets. Where installing the package would remove others
#                   (Debian 12 with qemu-utils from backports), Debian's QEMU is unpacked into
#                   /opt/spicebench/qemu instead, with the libraries it needs (shared/LAB.md §9)
#   xvfb, virt-viewer, evilwm
#                   remote-viewer, the reference viewer, full screen on the client's own X
#                   display (it needs a window manager for that; evilwm is the smallest)
#   iproute2        `ip netns` and `ip link`: the two namespaces of an emulated link
# It also creates the unprivileged accounts the lab's programs run as (nothing that draws on
# a lab display runs as root): `spicebench-lab` for the target's desktop, `spicebench-viewer`
# for the viewer's side and the SSH login.
set -euo pipefail

packages=(xserver-xspice twm xterm x11-apps x11-xserver-utils adwaita-icon-theme imagemagick
  x11-utils libpcap-dev tshark chromium openssh-server openssh-client xauth xvfb virt-viewer evilwm openssl
  g++ libreoffice-draw picom gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly iproute2)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

# apt's package lists, fetched once per call and only when something is installed (a fresh
# machine or container may have none, and the later sections install on their own).
lists_updated=no
update_lists() {
  if [ "$lists_updated" = no ]; then
    apt-get update -q
    lists_updated=yes
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps.sh: installing ${missing[*]}"
  update_lists
  # tshark's package asks whether non-root users may capture; answer no, without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# No home (the lab gives each a private folder per run), /bin/sh because sshd runs forced
# commands through the login shell, and `*` as password: no password login, but unlike
# useradd's locked `!`, sshd (without PAM) still accepts their keys.
for user in spicebench-lab spicebench-viewer; do
  if ! id "$user" >/dev/null 2>&1; then
    echo "install-deps.sh: creating the unprivileged lab user $user"
    useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh --user-group "$user"
  fi
  usermod -p '*' "$user"
done

if ! dpkg-query -W -f='${Status}' mmdebstrap 2>/dev/null | grep -q "install ok installed"; then
  echo "install-deps.sh: installing mmdebstrap (for the QEMU guest)"
  update_lists
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap
fi

qemu_root=/opt/spicebench/qemu
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 && [ ! -x "$qemu_root/usr/bin/qemu-system-x86_64" ]; then
  update_lists
  # A dry run says whether the package would remove anything; if not, install it plainly.
  if apt-get install -s -q qemu-system-x86 2>/dev/null | grep -q '^Remv'; then
    echo "install-deps.sh: unpacking Debian's QEMU into $qemu_root (installing it would remove packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libaio1 libbpf1 libcapstone4 libfdt1 \
      libfuse3-3 libibverbs1 libjpeg62-turbo libnuma1 libpmem1 librdmacm1 libsasl2-2 libseccomp2 \
      libslirp0 libvdeplug2 liburing2 libasound2 libbrlapi0.8 libcacard0 libcap-ng0 libepoxy0 \
      libgbm1 libncursesw6 libsndio7.0 libspice-server1 libusb-1.0-0 libusbredirparser1 seabios \
      ipxe-qemu
    debs=$(mktemp -d)
    (cd "$debs" && apt-get download -q qemu-system-x86 qemu-system-common qemu-system-data \
      qemu-system-gui 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    mkdir -p "$qemu_root.new"
    for d in "$debs"/qemu-system-*.deb; do dpkg-deb -x "$d" "$qemu_root.new"; done
    rm -rf "$debs" "$qemu_root"
    mv "$qemu_root.new" "$qemu_root"
  else
    echo "install-deps.sh: installing qemu-system-x86"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps.sh: cargo not found; install a Rust toolchain (1.88 or newer), e.g. with rustup" >&2
  exit 1
fi
echo "install-deps.sh: all packages present"
