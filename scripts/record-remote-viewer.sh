#!/usr/bin/env bash
# Records a real remote-viewer session against Xspice, the way shared/LAB.md describes, for the
# recordings/ library: Xspice + twm + plasma background + xterm on display :41, remote-viewer
# full-screen on an Xvfb of the same size (:42, so pointer coordinates map 1:1), a title-bar
# drag typed into remote-viewer with xdotool (so it crosses the SPICE inputs channel), and
# dumpcap on loopback. Mode `ssh-tunnel` puts a private sshd and `ssh -L` in between.
#
#   scripts/record-remote-viewer.sh NAME direct|ssh-tunnel [COMPRESSION]     (as root)
#
# Writes recordings/NAME/capture.pcapng and recordings/NAME/recording.toml. Every process it
# starts is stopped by PID on exit.
set -euo pipefail

name=${1:?usage: record-remote-viewer.sh NAME direct|ssh-tunnel [COMPRESSION]}
mode=${2:?usage: record-remote-viewer.sh NAME direct|ssh-tunnel [COMPRESSION]}
compression=${3:-auto_glz}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/recordings/$name"
spice_port=5941 ssh_port=2241 tunnel_port=31041 xs=41 xv=42
# remote-viewer 11 without a window manager draws a 46 px GTK header bar above the guest
# display (1:1, no scaling); the Xvfb screen is that much taller and pointer rows shift by it.
header=46
run=$(mktemp -d /tmp/spicebench-record.XXXXXX)
pids=()

# Children of a PID (e.g. sshd's per-connection processes), read from /proc.
children() { ps -o pid= --ppid "$1" 2>/dev/null || true; }

cleanup() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  if [ -f "$run/sshd.pid" ]; then
    sshd_pid=$(cat "$run/sshd.pid")
    for c in $(children "$sshd_pid"); do kill "$c" 2>/dev/null || true; done
    kill "$sshd_pid" 2>/dev/null || true
  fi
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

for p in $spice_port $ssh_port $tunnel_port; do
  if ss -ltnH "sport = :$p" | grep -q .; then echo "port $p is busy" >&2; exit 1; fi
done
for d in $xs $xv; do
  if [ -e /tmp/.X11-unix/X$d ]; then echo "display :$d is busy" >&2; exit 1; fi
done

cp "$top/harness/lab/assets/xspice.conf" "$top/harness/lab/assets/twmrc" "$run/"
XSPICE_PORT=$spice_port XSPICE_DISABLE_TICKETING=1 XSPICE_IMAGE_COMPRESSION=$compression \
  setsid /usr/lib/xorg/Xorg -config "$run/xspice.conf" -noreset -nolisten tcp \
  -logfile "$run/Xorg.log" :$xs >"$run/xorg.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S /tmp/.X11-unix/X$xs ] && ss -ltnH "sport = :$spice_port" | grep -q . && break; sleep 0.1; done

/usr/bin/convert -seed 42 -size 1024x768 plasma:fractal "$run/plasma.png"
DISPLAY=:$xs display -window root "$run/plasma.png" || true
DISPLAY=:$xs LANG=C twm -f "$run/twmrc" >"$run/twm.log" 2>&1 &
pids+=($!)
cd "$run"
DISPLAY=:$xs PS1='spicebench$ ' LANG=C xterm -geometry 80x24+50+50 -title xterm-spice -e /bin/sh >"$run/xterm.log" 2>&1 &
pids+=($!)
cd "$top"
sleep 1.5

Xvfb :$xv -screen 0 1024x$((768 + header))x24 -nolisten tcp >"$run/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S /tmp/.X11-unix/X$xv ] && break; sleep 0.1; done

viewer_port=$spice_port
filter="tcp port $spice_port"
[ "$mode" = ssh-tunnel ] && filter="tcp port $spice_port or tcp port $ssh_port or tcp port $tunnel_port"
mkdir -p "$out"
# Started before the tunnel and the viewer so every connection's start is captured; a large
# kernel buffer because the initial screen arrives in a burst of several MB on loopback.
dumpcap -q -B 256 -i lo -f "$filter" -w "$out/capture.pcapng" >"$run/dumpcap.log" 2>&1 &
pids+=($!)
sleep 1
if [ "$mode" = ssh-tunnel ]; then
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$run/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$run/client_ed25519"
  cp "$run/client_ed25519.pub" "$run/authorized_keys" && chmod 600 "$run/authorized_keys"
  cat >"$run/sshd_config" <<CONF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $run/host_ed25519
PidFile $run/sshd.pid
AuthorizedKeysFile $run/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
CONF
  /usr/sbin/sshd -f "$run/sshd_config" -E "$run/sshd.log"
  ssh -p $ssh_port -i "$run/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$run/known_hosts" -o StrictHostKeyChecking=accept-new \
    -o ExitOnForwardFailure=yes -N -L $tunnel_port:127.0.0.1:$spice_port root@127.0.0.1 &
  pids+=($!)
  for _ in $(seq 100); do ss -ltnH "sport = :$tunnel_port" | grep -q . && break; sleep 0.1; done
  viewer_port=$tunnel_port
fi

DISPLAY=:$xv remote-viewer "spice://127.0.0.1:$viewer_port" >"$run/viewer.log" 2>&1 &
pids+=($!)
sleep 4

[ -n "${RECORD_DEBUG:-}" ] && xwd -root -display :$xv -silent | /usr/bin/convert xwd:- png:"$RECORD_DEBUG/viewer.png"
# The drag: press on the xterm's title bar, 150 steps of (2, 1) px at 20 ms, release.
export DISPLAY=:$xv
xdotool mousemove 120 $((58 + header))
sleep 0.3
xdotool mousedown 1
for _ in $(seq 150); do xdotool mousemove_relative 2 1; sleep 0.02; done
xdotool mouseup 1
sleep 1.5
unset DISPLAY
moved=$(DISPLAY=:$xs xwininfo -name xterm-spice | awk '/Absolute upper-left/ {printf "%s ", $NF}')

viewer_version=$(remote-viewer --version 2>/dev/null | awk '{print $NF}')
xspice_version=$(dpkg-query -W -f='${Version}' xserver-xspice)
spice_server_version=$(dpkg-query -W -f='${Version}' libspice-server1)
cat >"$out/recording.toml" <<META
# How this capture was recorded (scripts/record-remote-viewer.sh).
name = "$name"
recorded_at = "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
client = "remote-viewer $viewer_version (spice-gtk) on Xvfb 1024x$((768 + header))"
server = "Xspice (xserver-xspice $xspice_version, libspice-server1 $spice_server_version)"
transport = "$mode"
compression = "$compression"
geometry = "1024x768"
capture = "dumpcap -B 256 on lo, filter '$filter'"
workload = "xterm title bar dragged by 150 xdotool steps of (2,1) px at 20 ms through remote-viewer, over a plasma root background, twm OpaqueMove"
xterm_client_area_after = "$moved"
xterm_client_area_before = "52 71"
META
echo "recorded $out/capture.pcapng ($(stat -c %s "$out/capture.pcapng") bytes); xterm now at $moved"
