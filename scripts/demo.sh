#!/usr/bin/env bash
# make demo: build Floe, make sure the minicluster runs (stopping it at the
# end only if this script started it), put a generated text on HDFS, count
# its words with examples/wordcount on YARN in per-job mode, and print the
# ten most frequent words.
set -euo pipefail
cd "$(dirname "$0")/.."

make build

started=0
if ! scripts/minicluster.sh status >/dev/null 2>&1; then
  echo "== starting the minicluster"
  scripts/minicluster.sh start
  started=1
fi
eval "$(scripts/minicluster.sh env)"

user=${HADOOP_USER_NAME:-$(id -un)}
demo=/user/$user/floe-demo-$$
work=$(mktemp -d)

cleanup() {
  rc=$?
  bin/floe fs rm "$demo" >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ "$started" = 1 ]; then
    echo "== stopping the minicluster this demo started"
    scripts/minicluster.sh stop || true
  fi
  exit $rc
}
trap cleanup EXIT

# A text written for this demo, repeated with a varying refrain so the
# counts are not all equal.
cat > "$work/verse.txt" <<'TEXT'
The river keeps no record of the stones it has rounded,
and the stones keep no record of the river.
A miller on the bank counts the turns of his wheel,
the wheel counts nothing, and the water counts less.
In spring the river is loud and the miller is glad;
in autumn the river is low and the miller is patient.
Children throw sticks from the bridge and race to the other side
to see which stick the river likes best.
The river likes none of them and carries all of them.
At night the wheel is still and the river is not.
TEXT
awk -v n=120 'BEGIN { srand(7) }
  { lines[NR] = $0 }
  END {
    for (i = 1; i <= n; i++) {
      for (j = 1; j <= NR; j++) if (rand() < 0.8) print lines[j]
      if (i % 3 == 0) print "and the river runs on"
    }
  }' "$work/verse.txt" > "$work/text.txt"
echo "== sample text: $(wc -w < "$work/text.txt") words"

bin/floe fs put "$work/text.txt" "$demo/input/text.txt"
in=$(bin/floe fs qualify "$demo/input")
out=$(bin/floe fs qualify "$demo/output")

echo "== bin/floe run -t yarn-per-job bin/wordcount --input $in --output $out"
bin/floe run -t yarn-per-job bin/wordcount --input "$in" --output "$out"

echo "== the ten most frequent words"
bin/floe fs cat "$out" > "$work/counts.txt"
sort -k2,2nr -k1,1 "$work/counts.txt" | head -10

# Cross-check against a count made here.
tr 'A-Z' 'a-z' < "$work/text.txt" | tr -cs 'a-z' '\n' | grep -v '^$' | sort | uniq -c \
  | awk '{print $2, $1}' | sort > "$work/expected.txt"
if sort "$work/counts.txt" | diff -q - "$work/expected.txt" >/dev/null; then
  echo "== counts match a local count ($(wc -l < "$work/expected.txt") distinct words)"
else
  echo "== counts DIFFER from a local count:" >&2
  sort "$work/counts.txt" | diff - "$work/expected.txt" | head -20 >&2
  exit 1
fi
