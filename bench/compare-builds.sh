#!/usr/bin/env bash
# Times a warm, offline `check` of two builds of the tool on copies of the same workspace,
# interleaved, and prints each median and their ratio: whether a change made `check` slower.
# Each build gets its own copy and cache (their formats may differ), its own `init` (policy and
# baseline) and `fetch` (index entries), before the timed runs.
#
# Usage: bench/compare-builds.sh OLD_BINARY NEW_BINARY [WORKSPACE] [RUNS]
#   WORKSPACE defaults to ../shared/workloads/large, RUNS to 21.
# Example (the build before a change against this one):
#   git worktree add /tmp/before <commit> && CARGO_TARGET_DIR=/tmp/before-target cargo build --release --manifest-path /tmp/before/Cargo.toml
#   cargo build --release && bench/compare-builds.sh /tmp/before-target/release/cargo-trustcheck target/release/cargo-trustcheck
set -euo pipefail

old=$(realpath "$1")
new=$(realpath "$2")
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${TRUSTCHECK_SHARED:-$repo/../shared}
workspace=${3:-$shared/workloads/large}
runs=${4:-21}
db=$shared/advisory-db
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TRUSTCHECK_NETWORK_TIMEOUT=5

for build in old new; do
    bin=${!build}
    cp -r "$workspace" "$work/$build"
    rm -f "$work/$build/trustcheck.toml" "$work/$build/trustcheck.lock"
    (
        cd "$work/$build"
        export TRUSTCHECK_CACHE_DIR=$work/cache-$build
        cargo metadata --format-version 1 >/dev/null
        "$bin" init --offline >/dev/null 2>&1
        "$bin" fetch --advisory-db "$db" >/dev/null 2>&1 || true
        "$bin" check --offline --advisory-db "$db" >/dev/null 2>&1 || true
    )
done

now_ns() { date +%s%N; }
time_check() {
    local build=$1 bin=$2 start
    start=$(now_ns)
    (cd "$work/$build" && TRUSTCHECK_CACHE_DIR=$work/cache-$build \
        "$bin" check --offline --advisory-db "$db" --format json >/dev/null 2>&1) || true
    echo $(( ($(now_ns) - start) / 1000000 ))
}
old_ms=()
new_ms=()
for _ in $(seq "$runs"); do
    old_ms+=("$(time_check old "$old")")
    new_ms+=("$(time_check new "$new")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
old_median=$(median "${old_ms[@]}")
new_median=$(median "${new_ms[@]}")
echo "warm offline check on $(basename "$workspace"), $runs interleaved runs each:"
echo "  old  $old_median ms  ($old)"
echo "  new  $new_median ms  ($new)"
awk -v a="$old_median" -v b="$new_median" 'BEGIN {printf "  new/old = %.3f\n", b / a}'
