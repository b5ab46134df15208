#!/usr/bin/env bash
# Reading the code of every crate, measured on a copy of ../shared/workloads/large (538
# packages), with cargo's registry cache filled (`cargo fetch`), its policy and baseline written
# by `init`, and --advisory-db ../shared/advisory-db; every `check` is `--offline`.
#
#   cold        the fact cache empty: every crate version read from cargo's registry cache
#               (goal: at most 10 s on 2 cores)
#   two new     the fact cache warm but for two crate versions (what a pull request that bumps
#               two crates costs) (goal: at most 50 ms more than warm)
#   warm        every crate's facts cached (goal: at most 0.2x cargo metadata)
#   metadata    cargo metadata --format-version 1, for scale
#
# Medians of interleaved runs. Usage: bench/code-facts.sh [RUNS]   (default 11)
set -euo pipefail

runs=${1:-11}
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${TRUSTCHECK_SHARED:-$repo/../shared}
database=$shared/advisory-db
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ns() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cargo build --release --locked --quiet --manifest-path "$repo/Cargo.toml"
bin=$repo/target/release/cargo-trustcheck

cp -r "$shared/workloads/large" "$work/large"
chmod -R u+w "$work/large"
cd "$work/large"
export TRUSTCHECK_CACHE_DIR=$work/cache
cargo fetch --locked --quiet
cargo metadata --format-version 1 >/dev/null
"$bin" init --offline >/dev/null 2>&1 || true
facts=$TRUSTCHECK_CACHE_DIR/crate-facts

check() { "$bin" check --offline --advisory-db "$database" --format json >/dev/null 2>&1 || true; }
timed() { local start; start=$(now_ns); "$@"; echo $((($(now_ns) - start) / 1000000)); }
forget_all() { rm -rf "$facts"; }
# Two crate versions' facts gone: the two that come first in the cache's listing (sed, not
# head: head would close the pipe early, and pipefail would end the script).
forget_two() { find "$facts" -name '*.json' | sort | sed -n 1,2p | xargs rm -f; }

check
cold=() two=() warm=() metadata=()
for _ in $(seq "$runs"); do
    forget_all
    cold+=("$(timed check)")
    check
    forget_two
    two+=("$(timed check)")
    warm+=("$(timed check)")
    metadata+=("$(timed bash -c 'cargo metadata --format-version 1 --offline --quiet >/dev/null')")
done

crates=$(find "$facts" -name '*.json' | wc -l)
echo "crate versions with cached facts: $crates"
printf '%-10s %8s ms\n' cold "$(median "${cold[@]}")" "two new" "$(median "${two[@]}")" \
    warm "$(median "${warm[@]}")" metadata "$(median "${metadata[@]}")"
awk -v w="$(median "${warm[@]}")" -v m="$(median "${metadata[@]}")" \
    'BEGIN { printf "warm / cargo metadata: %.2fx\n", w / m }'
awk -v t="$(median "${two[@]}")" -v w="$(median "${warm[@]}")" \
    'BEGIN { printf "two new - warm: %d ms\n", t - w }'
