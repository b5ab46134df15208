#!/usr/bin/env bash
# Times a warm, offline `cargo trustcheck check` on a copy of ../shared/workloads/large (with the
# policy and baseline that `cargo trustcheck init` writes, owners and publishers recorded for
# every crates.io crate, and every cache filled) against ../shared/advisory-db, next to
# `cargo metadata` alone on the same workspace, and prints the medians and their ratio (the goal:
# check costs at most 0.5x cargo metadata since the lockfile-first graph; bench/lockfile-first.sh
# adds cargo-audit, cargo-deny, peak memory and a cold run).
#
# Usage: bench/check-vs-metadata.sh [RUNS]   (default 21 runs each, interleaved)
set -euo pipefail

runs=${1:-21}
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${TRUSTCHECK_SHARED:-$repo/../shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin=$repo/target/release/cargo-trustcheck
cp -r "$shared/workloads/large" "$work/large"
cd "$work/large"
export TRUSTCHECK_CACHE_DIR=$work/cache

# Warm up: cargo's own caches (downloads the crates once), then fill the tool's cache if the
# network allows, so that the timed runs are warm and offline.
cargo metadata --format-version 1 --all-features >/dev/null
# A policy and a baseline (trustcheck.lock), as a workspace that uses the tool has them.
"$bin" init --offline >/dev/null
# Ownership data for every crates.io crate, so that check compares owners and publishers as a
# workspace that tracks them does: a synthetic crates.io database dump built from Cargo.lock
# (two owners per crate, every version published by one of them), read with `fetch --db-dump`.
"$repo/bench/synthetic-dump.sh" Cargo.lock "$work/db-dump.tar.gz"
"$bin" fetch --advisory-db "$shared/advisory-db" --db-dump "$work/db-dump.tar.gz" >/dev/null 2>&1 || echo "note: fetch failed (no network?); timing with whatever is cached" >&2
"$bin" baseline --offline >/dev/null
"$bin" check --offline --advisory-db "$shared/advisory-db" --format json >/dev/null 2>&1 || true

now_ns() { date +%s%N; }
metadata_ms=()
check_ms=()
for _ in $(seq "$runs"); do
    start=$(now_ns)
    cargo metadata --format-version 1 --all-features >/dev/null
    metadata_ms+=($(( ($(now_ns) - start) / 1000000 )))
    start=$(now_ns)
    "$bin" check --offline --advisory-db "$shared/advisory-db" --format json >/dev/null 2>&1 || true
    check_ms+=($(( ($(now_ns) - start) / 1000000 )))
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(median "${metadata_ms[@]}")
c=$(median "${check_ms[@]}")
packages=$(grep -c '^name = ' Cargo.lock)
echo "workload: workloads/large ($packages packages), $runs runs each"
echo "cargo metadata         median ${m} ms"
echo "trustcheck check       median ${c} ms (warm, --offline, --advisory-db)"
awk -v c="$c" -v m="$m" 'BEGIN { printf "ratio check / metadata %.2fx (goal <= 0.50x)\n", c / m }'
