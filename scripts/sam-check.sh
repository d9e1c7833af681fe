#!/usr/bin/env bash
# Lints template.yaml with `sam validate --lint` (cfn-lint) and builds every
# function with `sam build`, as a deploy would. Installs aws-sam-cli into
# .local/venv once. No AWS account is used: dummy credentials satisfy the CLI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV=.local/venv
SAM_VERSION="${SAM_VERSION:-1.170.0}"
if [ ! -x "$VENV/bin/sam" ]; then
	printf 'sam-check: installing aws-sam-cli %s into %s\n' "$SAM_VERSION" "$VENV" >&2
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check "aws-sam-cli==$SAM_VERSION" >&2
fi
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0
"$VENV/bin/sam" validate --lint
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
"$VENV/bin/sam" build --build-in-source --build-dir "$build" >"$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }
for fn in $(grep -o '^  [A-Za-z]\+Function:' template.yaml | tr -d ' :'); do
	test -x "$build/$fn/bootstrap" || { echo "sam-check: $fn has no bootstrap" >&2; exit 1; }
done
printf 'sam-check: template valid, %s functions built\n' "$(ls "$build" | grep -c Function)"
