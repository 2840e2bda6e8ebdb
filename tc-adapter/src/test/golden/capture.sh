#!/bin/sh
# Regenerates the golden files under src/test/resources/golden: what iproute2's `tc` sends over rtnetlink for
# each case in cases.txt, captured with strace inside a throwaway network namespace (unshare -n; lo is ifindex 1,
# the ifb created first is ifindex 2). Needs root, tc, ip, strace, python3. Run from the tc-adapter directory.
set -eu
here=$(dirname "$0")
out=src/test/resources/golden
mkdir -p "$out"
cp /proc/net/psched "$out/psched"
unshare -n sh -s "$here" "$out" <<'INNER'
set -eu
here=$1; out=$2
ip link add ifb0 type ifb
grep -v '^#' "$here/cases.txt" | grep -v '^$' | while IFS='|' read -r name cmd; do
  name=$(echo "$name" | tr -d ' ')
  strace -f -e trace=sendmsg -e write=all -xx -s 65535 -o "/tmp/golden-$$.strace" sh -c "$cmd" >/dev/null
  python3 "$here/extract.py" "$cmd" < "/tmp/golden-$$.strace" > "$out/$name.golden"
done
rm -f /tmp/golden-$$.strace
INNER
