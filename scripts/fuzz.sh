#!/usr/bin/env bash
# Runs every Fuzz* target of the given packages for a short while each.
#
#   scripts/fuzz.sh [-t 5s] ./shared/... ./functions/... ./infra/...
#
# A failing input is written by go test under the package's
# testdata/fuzz/<Target>/ directory: commit it, it becomes a regression test.
set -euo pipefail

FUZZTIME=5s
if [ "${1:-}" = -t ]; then
	FUZZTIME="$2"
	shift 2
fi
[ "$#" -gt 0 ] || set -- ./...
GO="${GO:-go}"

# `go test -list` prints the matching names of each package, then a line
# "ok <package> ..." (or "?  <package> [no test files]").
listing="$("$GO" test -list '^Fuzz' "$@")"
targets=()
pending=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) pending+=("$line") ;;
	ok*)
		pkg="$(awk '{print $2}' <<<"$line")"
		for f in "${pending[@]+"${pending[@]}"}"; do
			targets+=("$pkg $f")
		done
		pending=()
		;;
	esac
done <<<"$listing"

if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no Fuzz targets"
	exit 0
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fuzz_one() {
	# A bounded minimisation keeps a slow "interesting" input from running
	# past -fuzztime (which go test reports as a failure).
	"$GO" test -run '^$' -fuzz "^${2}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 2s "$1" >"$log" 2>&1
}
for t in "${targets[@]}"; do
	read -r pkg fn <<<"$t"
	echo "fuzz: $pkg $fn ($FUZZTIME)"
	fuzz_one "$pkg" "$fn" && continue
	# On a busy machine go's fuzz coordinator can miss its own deadline
	# while a worker stops ("context deadline exceeded", no input written):
	# that says nothing about the code, so it gets one more run. A real
	# finding writes its failing input and fails at once.
	if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
		echo "fuzz: $pkg $fn: the fuzzer missed its deadline (machine busy), once more"
		fuzz_one "$pkg" "$fn" && continue
	fi
	cat "$log" >&2
	echo "fuzz: $pkg $fn failed" >&2
	exit 1
done
