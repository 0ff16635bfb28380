#!/usr/bin/env python3
"""Grows the backups `backup run` stored under PREFIX in BUCKET to COUNT, for Benchmarks/rebuild.sh.

    make-rebuild-set.py ENDPOINT BUCKET PREFIX COUNT

Each seed backup (an artifact and its manifest, written by BackupKit) is copied under a new id, label and
key: one full backup a minute from 2021-01-01T00:00:00Z in the plan's zone (UTC), the artifact copied
server-side (same bytes, so its size and SHA-256 stay true), the manifest rewritten with the new id, label,
times and key. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
"""
import concurrent.futures
import datetime
import json
import secrets
import sys

import boto3

endpoint, bucket, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

seeds = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for item in page.get("Contents", []):
        if item["Key"].endswith(".manifest.json"):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            seeds.append(json.loads(body))
if not seeds:
    sys.exit("no seed manifests under " + prefix)

start = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)


def make(index):
    seed = seeds[index % len(seeds)]
    manifest = json.loads(json.dumps(seed))
    when = start + datetime.timedelta(minutes=index)
    label = when.strftime("%Y%m%d-%H%M%SF")
    artifact = manifest["artifacts"][0]
    ext = artifact["key"].split(label_of(seed), 1)[1]  # ".tar.zst"
    key = "{p}/{s}/{d}/{p}-{s}-{l}{e}".format(
        p=manifest["plan"], s=manifest["source"], d=when.strftime("%Y/%m/%d"), l=label, e=ext)
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": artifact["key"]})
    artifact["key"] = key
    manifest["backup_id"] = secrets.token_hex(8)
    manifest["label"] = label
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    manifest["started_at"] = stamp
    manifest["finished_at"] = stamp
    s3.put_object(Bucket=bucket, Key=key + ".manifest.json", Body=json.dumps(manifest, sort_keys=True).encode())


def label_of(manifest):
    return manifest["label"]


with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
    for _ in pool.map(make, range(count - len(seeds))):
        pass
print(f"{count} backups under {prefix} ({len(seeds)} taken by backup run, {count - len(seeds)} copies)")
