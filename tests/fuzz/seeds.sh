#!/usr/bin/env bash
# tests/fuzz/seeds.sh — regenerates the committed seed corpora of the fuzz
# harnesses (tests/fuzz/corpus/<harness>/) from fresh runs:
#   scenario    every file of scenarios/ (and scenarios/sim/, scenarios/s3/)
#   trace       prefixes, tails and one-checkpoint slices of real traces (a
#               plain run, a record-level unaligned run with kills) and of
#               simulator traces (pipeline, mutant, classic)
#   checkpoint  real checkpoints of those runs (_metadata, snapshots, channel
#               state, the key listing) in the harness's four-part layout
#   s3xml       S3 answers as AWS documents them (errors, multipart, listings)
#   runjson     a run folder's summary.json, checkpoints.json, timeline.svg,
#               scenario.yaml and input.json
# It also rewrites tests/fuzz/trace.dict from those traces. Every seed is
# under 64 KiB. When the harnesses are built (make fuzz-build)
# each corpus is then merged (-merge=1): only inputs that add coverage stay.
# The checkpoint format is the engine's: rerun this after changing it.
# usage: tests/fuzz/seeds.sh            (from anywhere; takes a few minutes)
#        tests/fuzz/seeds.sh --dict     rewrites tests/fuzz/scenario.dict only
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=tests/fuzz/corpus
if [ "${1:-}" = --dict ]; then
    python3 tests/fuzz/mkdict.py tests/fuzz/scenario.dict
    echo "seeds: wrote tests/fuzz/scenario.dict ($(wc -l < tests/fuzz/scenario.dict) entries)"
    exit 0
fi
make -s build/snapbed
snapbed=./build/snapbed
work=$(mktemp -d /tmp/snapbed-seeds-XXXXXX)
trap 'rm -rf "$work"' EXIT

reset() { rm -rf "${corpus:?}/$1"; mkdir -p "$corpus/$1"; }

echo "seeds: running the source runs in $work"
"$snapbed" run scenarios/quickstart.yaml -q -o "$work/quick" >/dev/null 2>&1 || true
"$snapbed" run scenarios/unaligned-kills.yaml --trace records -q -o "$work/unaligned" \
    >/dev/null 2>&1 || true
"$snapbed" run tests/fuzz/seed-unaligned.yaml -q -o "$work/seed-unaligned" >/dev/null 2>&1 || true
for s in diamond mutant-drop-channel-state cl-ring-crash; do
    "$snapbed" sim "scenarios/sim/$s.yaml" -o "$work/sim-$s" >/dev/null 2>&1 || true
done

reset scenario
for f in scenarios/*.yaml scenarios/*/*.yaml; do
    cp "$f" "$corpus/scenario/$(echo "${f#scenarios/}" | tr / -)"
done

reset trace
reset checkpoint
reset runjson
python3 - "$work" "$corpus" <<'PY'
import json, os, sys
work, corpus = sys.argv[1], sys.argv[2]
LIMIT = 60000


def unframe(b):
    """A checkpoint file's payload: the bytes after its SBCK header line."""
    if b.startswith(b"SBCK "):
        nl = b.find(b"\n")
        return b[nl + 1:] if nl >= 0 else b""
    return b

def fit(lines):
    out, size = [], 0
    for l in lines:
        if size + len(l) > LIMIT:
            break
        out.append(l); size += len(l)
    return b"".join(out)

def write(harness, name, data):
    with open(os.path.join(corpus, harness, name), "wb") as f:
        f.write(data)

# The trace dictionary: every event name and field name of these traces.
events, keys = set(), set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            keys.add(k)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
for run in sorted(os.listdir(work)):
    path = os.path.join(work, run, "trace.jsonl")
    for l in open(path, "rb") if os.path.exists(path) else []:
        try:
            ev = json.loads(l)
        except ValueError:
            continue
        if isinstance(ev, dict) and isinstance(ev.get("event"), str):
            events.add(ev["event"])
        walk(ev)
dict_lines = ["# tests/fuzz/trace.dict - libFuzzer dictionary of trace.jsonl: every event name",
              "# and field name of real and simulated traces (rewritten by tests/fuzz/seeds.sh)."]
dict_lines += ['"\\"event\\":\\"%s\\""' % e for e in sorted(events)]
dict_lines += ['"\\"%s\\":"' % k for k in sorted(keys)]
dict_lines += ['"{\\"t_ns\\":1,\\"pid\\":7,"', '"\\x0a"', '"-1"', '"9223372036854775807"',
               '"[[0,1]]"', '"\\"0:1\\""', '"true"', '"false"', '"null"']
with open("tests/fuzz/trace.dict", "w") as f:
    f.write("\n".join(dict_lines) + "\n")

for run in sorted(os.listdir(work)):
    path = os.path.join(work, run, "trace.jsonl")
    if not os.path.exists(path):
        continue
    lines = open(path, "rb").readlines()
    write("trace", run + "-head40", fit(lines[:40]))
    write("trace", run + "-head", fit(lines))
    write("trace", run + "-tail", fit(lines[-80:]))
    # One checkpoint's events, whole: the job graph, checkpoint 2, the end.
    def keep(l):
        try:
            ev = json.loads(l)
        except ValueError:
            return False
        return (ev.get("event") in ("run_started", "job_graph", "restore", "source_started",
                                    "job_finished", "run_finished", "crash", "cl_graph")
                or ev.get("checkpoint") == 2 or ev.get("snapshot") == 1)
    write("trace", run + "-chk2", fit([l for l in lines if keep(l)]))
    # The whole trace with every record line dropped, when it fits.
    small = [l for l in lines if b'"event":"send"' not in l and b'"event":"recv"' not in l
             and b'"event":"sample"' not in l]
    write("trace", run + "-norecords", fit(small))

    # runjson: byte 0 picks the file (fuzz_runjson.c).
    files = ["summary.json", "checkpoints.json", "viz/timeline.svg", "scenario.yaml",
             "input.json"]
    for i, name in enumerate(files):
        p = os.path.join(work, run, name)
        if not os.path.exists(p):
            continue
        data = open(p, "rb").read()
        if name == "checkpoints.json":
            doc = json.loads(data)
            doc["checkpoints"] = doc.get("checkpoints", [])[:4]
            data = json.dumps(doc).encode()
        write("runjson", "%s-%s" % (run, name.replace("/", "-")), bytes([i]) + data[:LIMIT])

    # checkpoint: inputs byte, _metadata \0 snapshot \0 keys \0 channel.
    root = os.path.join(work, run, "checkpoints")
    if not os.path.isdir(root):
        continue
    for job in os.listdir(root):
        chks = sorted(os.listdir(os.path.join(root, job)))[:10]
        for chk in chks:
            d = os.path.join(root, job, chk)
            if not os.path.isdir(d):
                continue
            names = sorted(os.listdir(d))
            meta = unframe(open(os.path.join(d, "_metadata"), "rb").read()) if "_metadata" in names else b""
            snaps = [n for n in names if n.endswith(".json")]
            channel = b""
            snap = b"{}"
            raw = None
            for n in snaps:
                raw = raw or open(os.path.join(d, n), "rb").read()
                doc = json.loads(unframe(open(os.path.join(d, n), "rb").read()))
                ref = doc.get("channel_state")
                if isinstance(ref, dict) and ref.get("key"):
                    base = os.path.basename(ref["key"])
                    if os.path.exists(os.path.join(d, base)):
                        channel = unframe(open(os.path.join(d, base), "rb").read())
                    ref["key"] = "job/chk-1/map-0.channel"
                    snap = json.dumps(doc).encode()
                    break
            else:
                # A stateful one: a source's offsets, a sink's pending uploads.
                for n in sorted(snaps, key=lambda n: (not n.startswith(("source", "sink")), n)):
                    snap = unframe(open(os.path.join(d, n), "rb").read())
                    break
            keys = "\n".join(chk + "/" + n for n in names).encode()
            # Byte 0, bit 7: the harness frames the payloads itself, so they
            # reach the decoders; a second seed keeps a real framed file
            # as it is (another checkpoint's name: the frame check refuses).
            data = bytes([0x81]) + meta + b"\0" + snap + b"\0" + keys + b"\0" + channel
            if len(data) <= LIMIT:
                write("checkpoint", "%s-%s" % (run, chk), data)
            if raw is not None and len(raw) + 8 <= LIMIT:
                write("checkpoint", "%s-%s-raw" % (run, chk), bytes([1]) + b"\0" + raw + b"\0\0")
PY

reset s3xml
x() { printf '%s' "$2" > "$corpus/s3xml/$1"; }
x error.xml '<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>'
x error-slowdown.xml '<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message><RequestId>A1</RequestId><HostId>h</HostId></Error>'
x initiate.xml '<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>out/part-000</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId></InitiateMultipartUploadResult>'
x complete.xml '<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://b.s3.amazonaws.com/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>'
x list-objects.xml '<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>job/chk-</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken><Contents><Key>job/chk-1/_metadata</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>"fba9dede5f27731c9771645a39863328"</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>job/chk-1/map-0.json</Key><Size>12</Size></Contents></ListBucketResult>'
x list-parts.xml '<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId><PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated><Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified><ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag><Size>10485760</Size></Part><Part><PartNumber>3</PartNumber><ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag><Size>10485760</Size></Part></ListPartsResult>'
x list-uploads.xml '<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>my-movie.m2ts</NextKeyMarker><NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker><MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload><Upload><Key>my-movie.m2ts</Key><UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId></Upload></ListMultipartUploadsResult>'
x list-empty.xml '<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'

# Merge: keep only what adds coverage, when the harnesses are built.
for h in scenario trace checkpoint s3xml runjson; do
    bin=build-fuzz/fuzz_$h
    if [ -x "$bin" ]; then
        mkdir -p "$work/merged-$h"
        "$bin" -merge=1 -max_len=65536 -rss_limit_mb=2048 -timeout=30 "$work/merged-$h" \
            "$corpus/$h" >"$work/merge-$h.log" 2>&1
        rm -rf "${corpus:?}/$h"
        mv "$work/merged-$h" "$corpus/$h"
    fi
    echo "seeds: $h: $(ls "$corpus/$h" | wc -l) files, $(du -sk "$corpus/$h" | cut -f1) KiB"
done
