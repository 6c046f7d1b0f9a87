#!/usr/bin/env python3
"""Cuts the fuzz seed corpus out of the real sample capture.

Writes fuzz/seeds/<target>/*.bin from shared/captures/xspice-remote-viewer.pcapng (Xspice and
remote-viewer on loopback, four channels). Real bytes give the fuzzers valid structure to mutate
from. The few seeds the capture cannot give are built here from the documented layouts and named
`synthetic-*` (client mouse/key messages: the capture's inputs channel carries none) or written
out below (a second scenario, for the `external` target kind); `recorded-*` seeds are real
bytes from spicebench's own recordings (a probe stamp, an uncompressed copy) and captures in
tests/data (two heads, MJPEG streams).

Usage (from the repository root): python3 fuzz/make_seeds.py [CAPTURE]
Needs tshark. The output is deterministic, so rerunning it leaves git clean.
"""

import collections
import pathlib
import shutil
import struct
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent
DEFAULT_CAPTURE = ROOT.parents[1] / "shared/captures/xspice-remote-viewer.pcapng"
SEEDS = ROOT / "seeds"
SERVER_PORT = 5930
MAX_SEED = 64 * 1024

CHANNEL_NAMES = {1: "main", 2: "display", 3: "inputs", 4: "cursor"}
# Selector byte 0: channel type, plus this bit for client -> server (see fuzz/src/lib.rs).
CLIENT_TO_SERVER = 0x80

# Names for the seed files only; the Rust side never reads them.
NAMES = {
    ("s2c", None): {3: "SET_ACK", 4: "PING", 7: "NOTIFY"},
    ("c2s", None): {1: "ACK_SYNC", 2: "ACK", 3: "PONG"},
    ("s2c", 1): {103: "MAIN_INIT", 104: "CHANNELS_LIST", 105: "MOUSE_MODE"},
    ("c2s", 1): {104: "ATTACH_CHANNELS", 105: "MOUSE_MODE_REQUEST"},
    ("s2c", 2): {102: "MARK", 104: "COPY_BITS", 108: "INVAL_ALL_PALETTES", 302: "DRAW_FILL",
                 304: "DRAW_COPY", 314: "SURFACE_CREATE", 317: "MONITORS_CONFIG"},
    ("c2s", 2): {101: "DISPLAY_INIT"},
    ("s2c", 3): {101: "INPUTS_INIT", 102: "KEY_MODIFIERS"},
    ("c2s", 3): {103: "KEY_MODIFIERS"},
    ("s2c", 4): {101: "CURSOR_INIT"},
}


# Steps no shipped scenario uses.
STEPS_SCENARIO = '''name = "steps"
[target]
kind = "xspice"
heads = 2
[[steps]]
kind = "repeat"
count = 3
[[steps.steps]]
kind = "key"
keys = "ctrl+shift+s"
[[steps.steps]]
kind = "type"
text = "Hello, spice!\\n"
rate_hz = 25
[[steps]]
kind = "prefer"
video_codecs = "gstreamer:vp8;spice:mjpeg"
'''

# The shipped scenario only covers `kind = "xspice"`; this one reaches the external-target,
# URI, password and multi-repeat rules (docs/scenario.md).
EXTERNAL_SCENARIO = '''schema = "spicebench.scenario/v1"
name = "external-erratic"
seed = 7
repeat = 2
idle_before_s = 0
settle_timeout_s = 0.5

[target]
kind = "external"
uri = "spice://[::1]:5930"
password_env = "SPICE_PASSWORD"
geometry = "800x600"
compression = ["lz4", "quic"]

[[steps]]
kind = "drag"
from = [10, 20]
path = { kind = "erratic", step_px = 200 }
duration_s = 0.25
rate_hz = 40
button = "right"

[[steps]]
kind = "pause"
duration_s = 1
'''


def msg_name(direction, channel, msg_type):
    table = NAMES.get((direction, channel if msg_type > 100 else None), {})
    return table.get(msg_type, f"type{msg_type}")


def selector(channel, direction, msg_type):
    """Two bytes naming channel, direction and type; types 300..355 are stored minus 100."""
    b0 = channel | (CLIENT_TO_SERVER if direction == "c2s" else 0)
    if msg_type < 200:
        b1 = msg_type
    elif 300 <= msg_type <= 355:
        b1 = msg_type - 100
    else:
        raise ValueError(f"type {msg_type} has no selector")
    return bytes([b0, b1])


def tcp_streams(capture, server_port=SERVER_PORT):
    """Reassembles each TCP connection's payload per direction (loopback: no loss, no reorder
    beyond duplicates, which are dropped by sequence number)."""
    out = subprocess.run(
        ["tshark", "-r", str(capture), "-Y", "tcp.len>0", "-T", "fields",
         "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.seq_raw", "-e", "tcp.payload"],
        check=True, capture_output=True, text=True).stdout
    segs = collections.defaultdict(dict)
    for line in out.splitlines():
        stream, sport, seq, payload = line.split("\t")
        direction = "s2c" if int(sport) == server_port else "c2s"
        segs[(int(stream), direction)][int(seq)] = bytes.fromhex(payload)
    streams = {}
    for key, by_seq in segs.items():
        data = bytearray()
        base = min(by_seq)
        for seq in sorted(by_seq):
            chunk = by_seq[seq][max(0, len(data) - (seq - base)):]
            if seq - base > len(data):
                raise SystemExit(f"gap in stream {key}: capture lost a segment")
            data += chunk
        streams[key] = bytes(data)
    return streams


def split_link(data, direction):
    """Returns (link header + body, 4 bytes after it, message stream).

    The client sends its auth mechanism (4 bytes) and a 128-byte ticket after the link
    message; the server sends a 4-byte link result after its reply."""
    size = struct.unpack_from("<I", data, 12)[0]
    link = data[:16 + size]
    after = data[16 + size:]
    if direction == "c2s":
        return link, after[:4], after[4 + 128:]
    return link, after[:4], after[4:]


def messages(stream):
    """(type, body, offset) of every mini-header message in a stream."""
    out, off = [], 0
    while off + 6 <= len(stream):
        msg_type, size = struct.unpack_from("<HI", stream, off)
        out.append((msg_type, stream[off + 6:off + 6 + size], off))
        off += 6 + size
    return out


def to_full_headers(stream):
    """The same messages behind 18-byte full headers (serials from 1), for the Full framer."""
    out = bytearray()
    for serial, (msg_type, body, _) in enumerate(messages(stream), start=1):
        out += struct.pack("<QHII", serial, msg_type, len(body), 0) + body
    return bytes(out)


def glz_or_lz(body):
    """Image type code of a DRAW_COPY's source image (DisplayBase is 21 bytes, no clip)."""
    src = struct.unpack_from("<I", body, 21)[0]
    return body[src + 8] if src and src + 8 < len(body) else None


RECORDED = {
    "DRAW_FILL-probe-stamp": (
        302, "0000000000000000000000000800000008000000000174800700080000000000000000000000000000"),
    "DRAW_COPY-bitmap": (
        304, "00000000ff020000f103000000030000fd03000000390000000000000000000000010000000c0000000800"
             "0000000000000000000000000000000000000000000000000c0000000100000009040c0000000100000030"
             "00000000000000ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00"
             "ffffff00ffffff00ffffff00"),
}


def write(target, name, data):
    assert len(data) <= MAX_SEED, (target, name, len(data))
    path = SEEDS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main():
    capture = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CAPTURE
    streams = tcp_streams(capture)
    # Regenerate everything cut from the capture, but keep crash-* files: those are inputs a
    # fuzzer found, kept as regression seeds.
    for target in ("link", "messages", "framer"):
        for old in (SEEDS / target).glob("*"):
            if not old.name.startswith("crash-"):
                old.unlink()

    chans = {}
    for (stream, direction), data in sorted(streams.items()):
        link, after, msgs = split_link(data, direction)
        if direction == "c2s":
            chans[stream] = link[16 + 4]  # LinkMess.channel_type
    for (stream, direction), data in sorted(streams.items()):
        channel = chans[stream]
        cname = CHANNEL_NAMES[channel]
        link, after, stream_bytes = split_link(data, direction)

        # link: header + LinkMess/LinkReply + the u32 that follows (auth mechanism / result).
        write("link", f"{cname}-{direction}.bin", link + after)

        # messages: selector + body. Keep the first of each type, plus a few distinct draws.
        msgs = messages(stream_bytes)
        seen = collections.Counter()
        for msg_type, body, _ in msgs:
            if len(body) + 2 > MAX_SEED:
                continue  # the 256000-byte net-test PING; the 12-byte pings cover its layout
            name = msg_name(direction, channel, msg_type)
            key = msg_type
            variant = ""
            if (channel, direction, msg_type) == (2, "s2c", 304):
                code = glz_or_lz(body)
                key = (msg_type, code)
                variant = {101: "-lz_rgb", 102: "-glz_rgb"}.get(code, f"-image{code}")
            limit = 1
            if (channel, direction) == (2, "s2c") and msg_type in (302, 304, 104):
                limit = 3
            if seen[key] >= limit:
                continue
            seen[key] += 1
            write("messages", f"{cname}-{direction}-{name}{variant}-{seen[key]}.bin",
                  selector(channel, direction, msg_type) + body)

        # framer: chunking byte + the message stream after the link stage.
        chunk_seed = bytes([stream * 2 + (direction == "c2s")])
        head = stream_bytes[:4096]
        write("framer", f"{cname}-{direction}-head.bin", chunk_seed + head)
        if (channel, direction) == (2, "s2c"):
            # The drag: COPY_BITS / DRAW_FILL / GLZ DRAW_COPY back to back, from a boundary.
            start = msgs[len(msgs) // 2][2]
            end = start
            for _, body, off in msgs[len(msgs) // 2:]:
                if off + 6 + len(body) - start > 16 * 1024:
                    break
                end = off + 6 + len(body)
            write("framer", f"{cname}-{direction}-drag.bin", b"\x07" + stream_bytes[start:end])
            write("framer", f"{cname}-{direction}-head-full-header.bin",
                  b"\x03" + to_full_headers(stream_bytes[:4096])[:4096])
        elif (channel, direction) == (1, "s2c"):
            write("framer", f"{cname}-{direction}-head-full-header.bin",
                  b"\x05" + to_full_headers(stream_bytes[:1024])[:1024])

    # The capture's inputs channel carries no pointer or key messages (the drag was made on the
    # X server directly), so InputMessage seeds are built from the documented layout (§5).
    synthetic = {
        "MOUSE_POSITION": (112, struct.pack("<IIHB", 120, 58, 1, 0)),
        "MOUSE_MOTION": (111, struct.pack("<iiH", -5, 3, 0)),
        "MOUSE_PRESS": (113, struct.pack("<BH", 1, 1)),
        "MOUSE_RELEASE": (114, struct.pack("<BH", 1, 0)),
        "KEY_DOWN": (101, struct.pack("<I", 0x1E)),
        "KEY_UP": (102, struct.pack("<I", 0x9E)),
    }
    for name, (msg_type, body) in synthetic.items():
        write("messages", f"synthetic-inputs-c2s-{name}.bin", selector(3, "c2s", msg_type) + body)

    # Two display messages the sample capture has no example of, cut from spicebench's own
    # recordings: a probe stamp (recordings/sb-drag-probe-auto_glz) and an uncompressed
    # BITMAP copy (recordings/sb-drag-off), the two shapes wire::pixels reads.
    for name, (msg_type, body) in RECORDED.items():
        write("messages", f"recorded-display-s2c-{name}.bin",
              selector(2, "s2c", msg_type) + bytes.fromhex(body))

    # Heads and streams, from the two captures spicebench made of hand-started Xspice
    # (tests/data/README.md): the two-head MONITORS_CONFIG, and the first STREAM_CREATE,
    # STREAM_DATA, STREAM_CLIP and STREAM_DESTROY of the MJPEG run.
    data = ROOT.parent / "tests/data"
    for file, port, wanted in [
        ("xspice-two-heads.pcapng", 16011, {317: "MONITORS_CONFIG-two-heads"}),
        ("xspice-streams-mjpeg.pcapng", 16012,
         {122: "STREAM_CREATE-mjpeg", 123: "STREAM_DATA-mjpeg", 124: "STREAM_CLIP",
          125: "STREAM_DESTROY"}),
    ]:
        streams = tcp_streams(data / file, port)
        for (stream, direction), stream_bytes in sorted(streams.items()):
            client = streams.get((stream, "c2s"), b"")
            if direction != "s2c" or len(client) < 21 or client[16 + 4] != 2:
                continue  # only the display channel's server side (LinkMess.channel_type)
            _, _, rest = split_link(stream_bytes, direction)
            for msg_type, body, _ in messages(rest):
                name = wanted.pop(msg_type, None)
                if name:
                    write("messages", f"recorded-display-s2c-{name}.bin",
                          selector(2, "s2c", msg_type) + body)
        assert not wanted, f"{file}: no {wanted}"

    (SEEDS / "scenario").mkdir(parents=True, exist_ok=True)
    # Every shipped scenario: together they reach heads, [desktop], the knob axes and each
    # step kind but `key`, `type` and `repeat`, which the synthetic one below has.
    for shipped in sorted((ROOT.parent / "scenarios").glob("*.toml")):
        shutil.copyfile(shipped, SEEDS / "scenario" / shipped.name)
    (SEEDS / "scenario/synthetic-steps.toml").write_text(STEPS_SCENARIO)
    (SEEDS / "scenario/synthetic-external.toml").write_text(EXTERNAL_SCENARIO)

    total = sum(p.stat().st_size for p in SEEDS.rglob("*") if p.is_file())
    count = sum(1 for p in SEEDS.rglob("*") if p.is_file())
    print(f"{count} seed files, {total} bytes")


if __name__ == "__main__":
    main()
