#!/usr/bin/env bash
# Capture analysis throughput and memory on a large corpus, side by side with tshark and cat.
#
#   bash benches/corpus-vs-tshark.sh          # from the repository root; a few minutes
#
# Builds a corpus of at least CORPUS_MB (default 400) MB in a temporary directory (deleted at
# the end) from the recorded captures (recordings/*/capture.pcapng, or the files in SOURCES):
# the recordings are laid end to end in time into one base capture, then N copies of the base are shifted in
# time (editcap -t) so that each copy's connections start after the previous copy ended, and
# appended (mergecap -a). Copies reuse the same 4-tuples; each copy's SYN starts a new
# connection in the analyser, which the script checks: the corpus must show N times the base's
# connections, packets, bytes, images and latency samples (copies repeat the same SPICE
# session ids, but a later copy does not overlap the earlier one, so it is not a relay leg).
#
# Then, with the corpus in the page cache (read once first), it times (fastest of REPEAT runs,
# default 3; max RSS is the largest of them):
#   - spicebench analyze CORPUS --format json --out /dev/null (release build), with max RSS
#     (target: ≥ 2 GB/s, < 64 MiB resident whatever the capture size);
#   - tshark -q -z conv,tcp -r CORPUS;
#   - tshark -r CORPUS -T fields -e spice.channel_type -e spice.image_type > /dev/null;
#   - cat CORPUS > /dev/null (the page-cache read ceiling);
# and prints a table with MB/s (10^6 bytes per second of capture file) and ratios.
# Measures, asserts no timing. Needs tshark, editcap, mergecap, capinfos (wireshark-common,
# tshark; scripts/install-deps.sh installs them) and python3.
set -euo pipefail

CORPUS_MB=${CORPUS_MB:-400}
cd "$(dirname "$0")/.."
ROOT=$PWD
if [[ -n "${SOURCES:-}" ]]; then
    read -r -a SRC <<<"$SOURCES"
else
    SRC=(recordings/*/capture.pcapng)
fi
for tool in tshark editcap mergecap capinfos python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "corpus-vs-tshark: $tool is missing" >&2; exit 2; }
done

TMP=$(mktemp -d -t spicebench-corpus.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "== building spicebench (release)"
cargo build --release --quiet
SB=$ROOT/target/release/spicebench

echo "== building the corpus from ${#SRC[@]} capture(s) in $TMP"
BASE=$TMP/base.pcapng
# The recordings were made days apart: laid end to end (each shifted to start 10 s after the
# previous one ended), the base spans a minute, not days, and its timelines stay small.
shifted=()
next_start=""
for ((i = 0; i < ${#SRC[@]}; i++)); do
    read -r _ s_first s_last < <(capinfos -T -r -a -e -S "${SRC[$i]}")
    next_start=${next_start:-$s_first}
    shift_s=$(python3 -c "print(f'{$next_start - $s_first:.9f}')")
    editcap -F pcapng -t "$shift_s" "${SRC[$i]}" "$TMP/src-$i.pcapng"
    shifted+=("$TMP/src-$i.pcapng")
    next_start=$(python3 -c "import math; print(math.ceil($next_start + ($s_last - $s_first)) + 10)")
done
mergecap -F pcapng -a -w "$BASE" "${shifted[@]}"
rm -f "${shifted[@]}"
# capinfos -T -r -a -e -S: "name<TAB>first<TAB>last" in seconds since the epoch.
read -r _ first last < <(capinfos -T -r -a -e -S "$BASE")
base_bytes=$(stat -c %s "$BASE")
# Each copy starts SHIFT s after the previous one: the base's span plus 10 s, whole seconds.
SHIFT=$(python3 -c "import math; print(math.ceil($last - $first) + 10)")
N=$(python3 -c "import math; print(max(1, math.ceil($CORPUS_MB * 1e6 / $base_bytes)))")
copies=()
for ((k = 0; k < N; k++)); do
    editcap -F pcapng -t $((k * SHIFT)) "$BASE" "$TMP/copy-$k.pcapng"
    copies+=("$TMP/copy-$k.pcapng")
done
CORPUS=$TMP/corpus.pcapng
mergecap -F pcapng -a -w "$CORPUS" "${copies[@]}"
rm -f "${copies[@]}"
corpus_bytes=$(stat -c %s "$CORPUS")
echo "base: $base_bytes bytes over $(python3 -c "print(round($last - $first, 1))") s; corpus: $N copies shifted by $SHIFT s, $corpus_bytes bytes"

echo "== warming the page cache"
cat "$CORPUS" >/dev/null

# Runs a command REPEAT times under /usr/bin/time -v; sets WALL and CPU (s) of the fastest run
# and RSS (KiB, the largest of all runs).
REPEAT=${REPEAT:-3}
timed() {
    local log=$TMP/time.log i w c r
    WALL="" CPU="" RSS=0
    for ((i = 0; i < REPEAT; i++)); do
        /usr/bin/time -v -o "$log" "$@"
        read -r w c r < <(python3 - "$log" <<'EOF'
import sys
v = {}
for line in open(sys.argv[1]):
    k, _, val = line.strip().rpartition(": ")
    v[k] = val
w = 0.0
for part in v["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
    w = w * 60 + float(part)
cpu = float(v["User time (seconds)"]) + float(v["System time (seconds)"])
print(w, cpu, v["Maximum resident set size (kbytes)"])
EOF
        )
        if [[ -z $WALL ]] || python3 -c "import sys; sys.exit(not $w < $WALL)"; then
            WALL=$w CPU=$c
        fi
        if ((r > RSS)); then RSS=$r; fi
    done
}

# Connections, packets, captured bytes, payload bytes, latency samples, images of one analysis.
summary() {
    python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = d.get("transports", [])
print(sum(x["flows"] for x in t), d["capture"]["packets"], d["capture"]["bytes"],
      sum(x["payload_bytes"] for x in t), d["latency"]["input_to_display"]["count"],
      sum(i["count"] for i in d.get("images", [])))
EOF
}

echo "== checking that copies are separate connections"
"$SB" analyze "$BASE" --format json --out "$TMP/base.json"
timed "$SB" analyze "$BASE" --format json --out /dev/null
BASE_RSS=$RSS
read -r b_flows b_pkts b_bytes b_payload b_lat b_img < <(summary "$TMP/base.json")
"$SB" analyze "$CORPUS" --format json --out "$TMP/corpus.json"
read -r c_flows c_pkts c_bytes c_payload c_lat c_img < <(summary "$TMP/corpus.json")
rm -f "$TMP/base.json" "$TMP/corpus.json"
python3 - <<EOF
n = $N
rows = [("connections", $b_flows, $c_flows), ("packets", $b_pkts, $c_pkts),
        ("captured bytes", $b_bytes, $c_bytes), ("TCP payload bytes", $b_payload, $c_payload),
        ("latency samples", $b_lat, $c_lat), ("images", $b_img, $c_img)]
print(f"{'':<20}{'one copy':>14}{'corpus':>16}{'ratio':>9}  (expected {n}x)")
bad = False
for name, b, c in rows:
    r = c / b if b else float('nan')
    ok = b and abs(r - n) < 1e-9
    bad |= not ok
    print(f"{name:<20}{b:>14}{c:>16}{r:>9.3f}  {'ok' if ok else 'DIFFERS'}")
if bad:
    print("note: the corpus is not N separate copies for the analyser (see DIFFERS above)")
EOF

echo "== timing (corpus in the page cache; fastest of $REPEAT runs each)"
timed "$SB" analyze "$CORPUS" --format json --out /dev/null
sb=("$WALL" "$CPU" "$RSS")
timed tshark -q -z conv,tcp -r "$CORPUS" >/dev/null 2>"$TMP/tshark.err"
ts_conv=("$WALL" "$CPU" "$RSS")
timed tshark -r "$CORPUS" -T fields -e spice.channel_type -e spice.image_type >/dev/null 2>"$TMP/tshark.err"
ts_spice=("$WALL" "$CPU" "$RSS")
timed cat "$CORPUS" >/dev/null
cat_=("$WALL" "$CPU" "$RSS")

python3 - <<EOF
size = $corpus_bytes
rows = [
    ("spicebench analyze --format json", ${sb[0]}, ${sb[1]}, ${sb[2]}),
    ("tshark -q -z conv,tcp", ${ts_conv[0]}, ${ts_conv[1]}, ${ts_conv[2]}),
    ("tshark -T fields spice.*", ${ts_spice[0]}, ${ts_spice[1]}, ${ts_spice[2]}),
    ("cat > /dev/null", ${cat_[0]}, ${cat_[1]}, ${cat_[2]}),
]
sb_wall = rows[0][1]
print()
print(f"corpus: {size / 1e6:.1f} MB ({size} bytes), $N copies of {$base_bytes / 1e6:.1f} MB, "
      f"{$c_pkts} packets, {$c_flows} connections")
print(f"{'command':<34}{'wall s':>8}{'cpu s':>8}{'MB/s':>9}{'max RSS MiB':>13}{'x spicebench':>14}")
for name, wall, cpu, rss in rows:
    mbs = size / 1e6 / wall if wall > 0 else float('inf')
    ratio = wall / sb_wall if sb_wall > 0 else float('nan')
    print(f"{name:<34}{wall:>8.2f}{cpu:>8.2f}{mbs:>9.0f}{rss / 1024:>13.1f}{ratio:>14.2f}")
print("(x spicebench: that command's wall time / spicebench's; > 1 means slower than spicebench)")
print(f"spicebench max RSS: {$BASE_RSS / 1024:.1f} MiB on one copy ({$base_bytes / 1e6:.1f} MB), "
      f"{${sb[2]} / 1024:.1f} MiB on the corpus (target < 64 MiB)")
EOF
