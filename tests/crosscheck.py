#!/usr/bin/env python3
"""Cross-checks one finished run with clients that are not snapbed's own.

The input topic is read with kcat (Debian's Kafka client), the job's map and
filter are applied here in Python, and the committed output is listed and
read from S3 with boto3. The two sets of records must be equal, every record
must be committed once, no multipart upload may be left in progress, and the
counts must agree with what snapbed's checker wrote in summary.json.

usage: crosscheck.py RUN_DIR      (S3_ENDPOINT, AWS_* in the environment)
"""
import json
import os
import subprocess
import sys

import boto3
import botocore.config


def fail(msg):
    print(f"crosscheck: FAIL: {msg}")
    sys.exit(1)


def read_topic(bootstrap, topic, low, high):
    """Every record of the topic as {(partition, offset): value}, via kcat."""
    records = {}
    for p, (lo, hi) in enumerate(zip(low, high)):
        if hi <= lo:
            continue
        out = subprocess.run(
            ["kcat", "-C", "-b", bootstrap, "-t", topic, "-p", str(p), "-o", str(lo),
             "-c", str(hi - lo), "-e", "-q", "-f", "%p %o %s\\n"],
            check=True, capture_output=True, text=True, timeout=120).stdout
        for line in out.splitlines():
            part, off, value = line.split(" ", 2)
            records[(int(part), int(off))] = value
    return records


def expected_output(records, scenario):
    """The job's map (uppercase) and filter (starts with A), as the defaults."""
    out = {}
    for rid, value in records.items():
        v = value.upper() if scenario.get("map", "uppercase") == "uppercase" else value
        if v.startswith(scenario.get("prefix", "A")):
            out[rid] = v
    return out


def read_sink(s3, uri):
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    prefix = prefix.rstrip("/") + "/"
    seen = {}
    copies = 0
    objects = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            name = obj["Key"][len(prefix):]
            if not name.startswith("part-"):
                continue
            objects += 1
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            for line in body.splitlines():
                rid, value = line.split(" ", 1)
                p, o = rid.split(":")
                key = (int(p), int(o))
                copies += 1
                if key in seen and seen[key] == value:
                    continue
                seen[key] = value
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    return seen, copies, objects, uploads


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    run = sys.argv[1]
    summary = json.load(open(os.path.join(run, "summary.json")))
    inp = json.load(open(os.path.join(run, "input.json")))
    if not summary["sink"].startswith("s3://"):
        fail(f"the run's sink is {summary['sink']}, not s3://")
    s3 = boto3.client(
        "s3", endpoint_url=os.environ["S3_ENDPOINT"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=botocore.config.Config(s3={"addressing_style": "path"}))
    records = read_topic(inp["bootstrap"], inp["topic"], inp["low"], inp["high"])
    want = expected_output(records, {})
    got, copies, objects, uploads = read_sink(s3, summary["sink"])
    eo = summary["exactly_once"]
    print(f"crosscheck: kcat read {len(records)} records, {len(want)} expected out; "
          f"boto3 read {objects} objects, {copies} records, {len(got)} distinct")
    if len(records) != eo["records_in"]:
        fail(f"kcat read {len(records)} input records, snapbed {eo['records_in']}")
    if copies != eo["committed"]:
        fail(f"boto3 read {copies} committed records, snapbed {eo['committed']}")
    if summary["expectation_met"] and eo["ok"]:
        if got != want:
            missing = len(set(want) - set(got))
            extra = len(set(got) - set(want))
            fail(f"output differs from filter(map(input)): {missing} missing, {extra} extra")
        if copies != len(want):
            fail(f"{copies - len(want)} duplicated records")
    if uploads:
        fail(f"{len(uploads)} multipart uploads left in progress, e.g. {uploads[0]['Key']}")
    print("crosscheck: OK — kcat, boto3 and snapbed's checker agree")


if __name__ == "__main__":
    main()
