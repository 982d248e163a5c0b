#!/bin/bash
# keyward --version against a bare `node -e 0`, interleaved, 15 rounds each, medians (no hyperfine here).
# Run from the repository root after `npm run build`.
for i in $(seq 15); do
  a=$(date +%s%N); node -e 0; b=$(date +%s%N); node bin/keyward.js --version >/dev/null; c=$(date +%s%N)
  echo "$(( (b-a)/1000000 )) $(( (c-b)/1000000 ))"
done | sort -n -k1 | awk '{a[NR]=$1; b[NR]=$2} END {n=asort(a); asort(b); print "node -e 0 median", a[int((n+1)/2)], "ms; keyward --version median", b[int((n+1)/2)], "ms; ratio", b[int((n+1)/2)]/a[int((n+1)/2)]}'
