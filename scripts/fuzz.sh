#!/usr/bin/env bash
# Runs every Go fuzz target in the repository, one after another, each for
# $1 (default 60s). Prints one line per target and exits non-zero if any
# target failed (a crasher is then saved under that package's
# testdata/fuzz/<Target>/ by `go test`).
#   scripts/fuzz.sh            # 60s each
#   scripts/fuzz.sh 10s        # quick pass
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-60s}
status=0
summary=()
# "dir:FuzzName" for every func FuzzXxx(f *testing.F) in a _test.go file.
mapfile -t targets < <(grep -rHoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
  | grep -v '/\.' | sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*).*#\1:\2#' | sort -u)
if [ ${#targets[@]} -eq 0 ]; then echo "fuzz: no fuzz targets found"; exit 0; fi
for t in "${targets[@]}"; do
  dir=${t%%:*}; name=${t##*:}
  echo "== fuzz $name in $dir for $fuzztime"
  start=$(date +%s)
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$dir" > /tmp/fuzz-$$.log 2>&1; then
    res=ok
  else
    res=FAIL; status=1
    tail -40 /tmp/fuzz-$$.log
  fi
  execs=$(grep -oE 'execs: [0-9]+' /tmp/fuzz-$$.log | tail -1 | grep -oE '[0-9]+' || true)
  summary+=("$res $name ($dir) $(( $(date +%s) - start ))s execs=${execs:-?}")
done
rm -f /tmp/fuzz-$$.log
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $status
