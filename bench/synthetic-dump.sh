#!/usr/bin/env bash
# Writes a synthetic crates.io database dump for the crates.io packages of a lock file, for the
# benchmarks: two owners per crate (alice and bob), every version published by alice, license
# MIT. `cargo trustcheck fetch --db-dump OUT` reads it like the real dump, so that a benchmark's
# baseline records owners and publishers without the crates.io API.
#
# Usage: bench/synthetic-dump.sh CARGO_LOCK OUT.tar.gz
set -euo pipefail

lock=$1
out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dump=$work/dump/2026-11-23-020000
mkdir -p "$dump/data"
echo '{"timestamp":"2026-11-23T02:00:00Z"}' >"$dump/metadata.json"
awk -F'"' '/^name = /{name=$2} /^version = /{version=$2}
    /^source = "registry\+https:\/\/github.com\/rust-lang\/crates.io-index"/{print name "," version}' "$lock" | sort -u >"$work/packages"
awk -F, 'BEGIN{print "id,name,updated_at,created_at,description,homepage,documentation,readme,repository,max_upload_size,max_features"}
    !seen[$1]++{print ++n "," $1 ",x,x,,,,,,,"}' "$work/packages" >"$dump/data/crates.csv"
printf 'id,gh_login,name,gh_avatar,gh_id\n1,alice,,,1\n2,bob,,,2\n' >"$dump/data/users.csv"
printf 'id,login,github_id,name,avatar,org_id\n' >"$dump/data/teams.csv"
awk -F, 'BEGIN{print "crate_id,owner_id,created_at,created_by,owner_kind"}
    NR>1{print $1 ",1,x,1,0"; print $1 ",2,x,1,0"}' "$dump/data/crates.csv" >"$dump/data/crate_owners.csv"
awk -F, 'NR==FNR{if (FNR>1) id[$2]=$1; next}
    FNR==1{print "id,crate_id,num,num_no_build,updated_at,created_at,downloads,features,yanked,license,crate_size,published_by,checksum,links,rust_version,has_lib,bin_names,edition,description"}
    {print ++v "," id[$1] "," $2 "," $2 ",x,x,0,{},f,MIT,0,1,c,,,t,{},2021,"}' "$dump/data/crates.csv" "$work/packages" >"$dump/data/versions.csv"
tar -czf "$out" -C "$work/dump" 2026-11-23-020000
