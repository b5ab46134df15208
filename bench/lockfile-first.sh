#!/usr/bin/env bash
# The lockfile-first graph, measured on a copy of ../shared/workloads/large (538 packages).
#
# Warm: with its policy, its baseline (owners and publishers recorded from a synthetic crates.io
# database dump) and every cache filled, interleaved runs of
#   cargo metadata --format-version 1
#   cargo trustcheck check --offline          every check, --advisory-db ../shared/advisory-db
#   cargo audit --no-fetch                    the same lock file and database
#   cargo deny --offline check                all of its checks, the same database
# and their medians, the ratios (goals: check <= 0.5x cargo metadata, <= 1.0x cargo audit), and
# the peak memory (maximum resident set) of one more run of each.
#
# Cold: the committed baseline and a lock file that bumps two crates, with an empty CARGO_HOME
# and TRUSTCHECK_CACHE_DIR, against the real registry: what `check` downloads (the `.crate`
# files, bytes) and how long it takes; next to what `cargo metadata` downloads in the same state.
#
# cargo-audit and cargo-deny are installed with `cargo install --locked` under
# target/bench-tools (once); when that fails they are skipped with a note.
#
# Usage: bench/lockfile-first.sh [RUNS]   (default 21 runs of each, interleaved)
set -euo pipefail

runs=${1:-21}
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${TRUSTCHECK_SHARED:-$repo/../shared}
database=$shared/advisory-db
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

note() { echo "note: $*" >&2; }
now_ns() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

cargo build --release --locked --quiet --manifest-path "$repo/Cargo.toml"
bin=$repo/target/release/cargo-trustcheck

tools=$repo/target/bench-tools
audit="" deny=""
if cargo install --locked --quiet --root "$tools" cargo-audit cargo-deny >"$work/install.log" 2>&1; then
    audit=$tools/bin/cargo-audit
    deny=$tools/bin/cargo-deny
else
    note "cargo-audit and cargo-deny could not be installed (see below); they are skipped"
    tail -5 "$work/install.log" >&2
fi

cp -r "$shared/workloads/large" "$work/large"
chmod -R u+w "$work/large"
cd "$work/large"
export TRUSTCHECK_CACHE_DIR=$work/cache

# Warm up cargo's caches (downloads the crates once), then write a policy and a baseline as a
# workspace that uses the tool has them, with owners and publishers for every crates.io crate
# from a synthetic database dump built from Cargo.lock (two owners per crate, every version
# published by one of them).
cargo metadata --format-version 1 >/dev/null
"$bin" init >/dev/null 2>&1
"$repo/bench/synthetic-dump.sh" Cargo.lock "$work/db-dump.tar.gz"
"$bin" fetch --advisory-db "$database" --db-dump "$work/db-dump.tar.gz" >/dev/null 2>&1 ||
    note "fetch failed (no network?); timing with whatever is cached"
"$bin" baseline --offline >/dev/null 2>&1
"$bin" check -v --offline --advisory-db "$database" --format json 2>"$work/check.err" >/dev/null || true
grep -q 'from Cargo.lock (' "$work/check.err" || { note "the warm check did not read Cargo.lock:"; cat "$work/check.err" >&2; }

# cargo-deny reads the database from a git clone in its db-path, named after the URL: a clone of
# the same snapshot, made locally.
if [[ -n $deny ]]; then
    cat >deny.toml <<EOF
[graph]
all-features = true
[advisories]
db-path = "$work/deny-dbs"
db-urls = ["https://github.com/rustsec/advisory-db"]
[licenses]
allow = ["MIT", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "0BSD", "BSL-1.0", "Unicode-3.0", "Unicode-DFS-2016", "CC0-1.0", "Unlicense", "MPL-2.0", "CDLA-Permissive-2.0", "OpenSSL"]
[bans]
multiple-versions = "warn"
[sources]
unknown-registry = "deny"
unknown-git = "deny"
EOF
    db_dir=$("$deny" --offline check advisories 2>&1 | grep -o "$work/deny-dbs/[^ '\"]*" | head -1 || true)
    db_dir=${db_dir:-$work/deny-dbs/advisory-db-3157b0e258782691}
    mkdir -p "$(dirname "$db_dir")"
    cp -r "$database" "$db_dir"
    git -C "$db_dir" init -q && git -C "$db_dir" add -A &&
        git -C "$db_dir" -c user.name=bench -c user.email=bench@localhost commit -qm snapshot
    "$deny" --offline check >"$work/deny.out" 2>&1 || true
    if ! grep -Eq '^advisories (ok|FAILED)' "$work/deny.out"; then
        note "cargo deny could not run; it is skipped"
        tail -5 "$work/deny.out" >&2
        deny=""
    fi
fi

metadata_ms=() check_ms=() audit_ms=() deny_ms=()
for _ in $(seq "$runs"); do
    start=$(now_ns)
    cargo metadata --format-version 1 >/dev/null
    metadata_ms+=($(( ($(now_ns) - start) / 1000000 )))
    start=$(now_ns)
    "$bin" check --offline --advisory-db "$database" --format json >/dev/null 2>&1 || true
    check_ms+=($(( ($(now_ns) - start) / 1000000 )))
    if [[ -n $audit ]]; then
        start=$(now_ns)
        "$audit" audit --no-fetch --db "$database" --file Cargo.lock >/dev/null 2>&1 || true
        audit_ms+=($(( ($(now_ns) - start) / 1000000 )))
    fi
    if [[ -n $deny ]]; then
        start=$(now_ns)
        "$deny" --offline check >/dev/null 2>&1 || true
        deny_ms+=($(( ($(now_ns) - start) / 1000000 )))
    fi
done

m=$(median "${metadata_ms[@]}")
c=$(median "${check_ms[@]}")
echo "workload: workloads/large ($(grep -c '^name = ' Cargo.lock) packages), $runs runs of each, interleaved"
echo "cargo metadata --format-version 1   median ${m} ms   peak $(peak_kb cargo metadata --format-version 1) KB"
echo "cargo trustcheck check --offline    median ${c} ms   peak $(peak_kb "$bin" check --offline --advisory-db "$database" --format json) KB"
awk -v c="$c" -v m="$m" 'BEGIN { printf "ratio check / cargo metadata       %.2fx (goal <= 0.50x)\n", c / m }'
if [[ -n $audit ]]; then
    a=$(median "${audit_ms[@]}")
    echo "cargo audit --no-fetch              median ${a} ms   peak $(peak_kb "$audit" audit --no-fetch --db "$database" --file Cargo.lock) KB"
    awk -v c="$c" -v a="$a" 'BEGIN { printf "ratio check / cargo audit          %.2fx (goal <= 1.00x)\n", c / a }'
fi
if [[ -n $deny ]]; then
    d=$(median "${deny_ms[@]}")
    echo "cargo deny --offline check          median ${d} ms   peak $(peak_kb "$deny" --offline check) KB"
fi

# Cold. The branch the pull request starts from held two leaf crates (no dependencies of their
# own) one release older, and its committed baseline was written then; the pull request bumps
# them to the versions of the workload's Cargo.lock.
index_path() {
    local n
    n=$(echo "$1" | tr '[:upper:]' '[:lower:]')
    case ${#n} in
        1) echo "1/$n" ;; 2) echo "2/$n" ;; 3) echo "3/${n:0:1}/$n" ;; *) echo "${n:0:2}/${n:2:2}/$n" ;;
    esac
}
cp -r "$work/large" "$work/cold"
cd "$work/cold"
rm -f deny.toml
cp Cargo.lock "$work/Cargo.lock.head"
bumped=()
for name in $(awk -F'"' '/^\[\[package\]\]/{if (name != "" && !deps && registry) print name; name=""; deps=0; registry=0}
        /^name = /{name=$2} /^dependencies = /{deps=1} /^source = "registry/{registry=1}
        END{if (name != "" && !deps && registry) print name}' Cargo.lock | sort -u); do
    [[ ${#bumped[@]} -ge 2 ]] && break
    [[ $(grep -c "^name = \"$name\"$" Cargo.lock) -eq 1 ]] || continue
    current=$(grep -A1 "^name = \"$name\"$" Cargo.lock | awk -F'"' '/^version/{print $2}')
    older=$(curl -sf "https://index.crates.io/$(index_path "$name")" | grep -v '"yanked": *true' |
        grep -o '"vers": *"[^"]*"' | cut -d'"' -f4 | grep -v -- - | sort -V |
        awk -v c="$current" '$0 == c {print prev; exit} {prev = $0}' || true)
    [[ -n $older && ${older%%.*} == "${current%%.*}" ]] || continue
    cp Cargo.lock "$work/Cargo.lock.before"
    if cargo update -p "$name@$current" --precise "$older" --quiet 2>/dev/null &&
        [[ $(diff <(grep -A1 '^name = ' "$work/Cargo.lock.before") <(grep -A1 '^name = ' Cargo.lock) | grep -c '^>') -eq 1 ]]; then
        bumped+=("$name $older -> $current")
    else
        cp "$work/Cargo.lock.before" Cargo.lock
    fi
done
"$bin" baseline >/dev/null 2>&1
cp "$work/Cargo.lock.head" Cargo.lock
printf 'cold: the pull request bumps %s\n' "${bumped[@]:-nothing (no older release found)}"
cold_home=$work/cold-cargo-home
cold_cache=$work/cold-cache
start=$(now_ns)
TRUSTCHECK_CACHE_DIR=$cold_cache CARGO_HOME=$cold_home \
    "$bin" check -v --advisory-db "$database" --format json >/dev/null 2>"$work/cold.err" || true
cold_ms=$(( ($(now_ns) - start) / 1000000 ))
graph_line=$(grep '^graph: ' "$work/cold.err" || true)
echo "cold check: ${cold_ms} ms (cargo judging the lock file from its index, the index entries, the downloads, every check)"
echo "  ${graph_line:-no graph line (see below)}"
[[ -n $graph_line ]] || tail -5 "$work/cold.err" >&2
echo "  facts cached: $(find "$cold_cache/crate-facts" -name '*.json' 2>/dev/null | wc -l); .crate files in cargo's cache: $(find "$cold_home/registry/cache" -name '*.crate' 2>/dev/null | wc -l); cargo's index: $(du -sh "$cold_home/registry/index" 2>/dev/null | cut -f1)"
rm -rf "$cold_home"
start=$(now_ns)
CARGO_HOME=$cold_home cargo update --workspace --locked --quiet >/dev/null 2>&1 || true
echo "  of which cargo's own verdict on the lock file, from an empty CARGO_HOME: $(( ($(now_ns) - start) / 1000000 )) ms"
rm -rf "$cold_home"
start=$(now_ns)
CARGO_HOME=$cold_home cargo metadata --format-version 1 >/dev/null 2>&1 || true
echo "cold cargo metadata: $(( ($(now_ns) - start) / 1000000 )) ms, $(find "$cold_home/registry/cache" -name '*.crate' 2>/dev/null | wc -l) .crate files downloaded, $(du -sb "$cold_home/registry/cache" 2>/dev/null | cut -f1) bytes"
