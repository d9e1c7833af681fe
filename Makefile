# AgentDesk. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO       ?= go
PKGS     := ./shared/... ./functions/... ./infra/... ./desktop/...
FUZZTIME ?= 5s

# Lambda functions: logical id in template.yaml -> main package.
FUNCTIONS := AuthFunction AgentFunction AdminFunction MailerFunction PushFunction
cmd_AuthFunction   := ./functions/cmd/auth
cmd_AgentFunction  := ./functions/cmd/agent
cmd_AdminFunction  := ./functions/cmd/admin
cmd_MailerFunction := ./functions/cmd/mailer
cmd_PushFunction   := ./functions/cmd/push
LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -buildvcs=false -ldflags='-s -w'

.PHONY: help setup vet test fuzz parity sam-check run run-backend bench build clean desktop package desktop-test desktop-e2e bench-desktop bench-voice $(addprefix build-,$(FUNCTIONS)) voice-lab voice-lab-down voice-lab-status run-voice

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-22s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@printf "  %-22s %s\n" "build-<Function>" "Build one Lambda into \$$ARTIFACTS_DIR/bootstrap (SAM makefile builds): $(FUNCTIONS)"

setup: ## Install what is missing (Debian packages, SES emulator, Go modules); idempotent
	@scripts/setup.sh

vet: setup ## go vet every package
	$(GO) vet $(PKGS)

test: setup vet ## Vet, every test with the race detector, DynamoDB Local parity, fuzzing, SAM lint+build
	$(GO) test -race -count=1 $(PKGS)
	@$(MAKE) parity
	@$(MAKE) fuzz
	@$(MAKE) sam-check
	@$(MAKE) desktop-test

PARITY_PKGS := ./functions/dynamo/... ./functions/mailer/... ./infra/e2e/...

parity: setup ## Store, mailer and end-to-end tests against AWS's DynamoDB Local
	scripts/dynamodb-local.sh $(GO) test -count=1 $(PARITY_PKGS)

sam-check: ## sam validate --lint and sam build (installs aws-sam-cli in .local/venv)
	scripts/sam-check.sh

fuzz: setup ## Run each Fuzz* target for FUZZTIME (default 5s)
	@GO=$(GO) scripts/fuzz.sh -t $(FUZZTIME) $(PKGS)

run: setup ## Run the local stack (API, embedded DynamoDB, SES emulator) and, with a display, the desktop app against it
	@GO=$(GO) scripts/run.sh

run-backend: setup ## Run the backend half of the local stack
	$(GO) run ./infra/cmd/agentdesk-local

bench: setup ## Run the load benchmark against the local stack, then the desktop's (docs/PERFORMANCE-desktop.md) and the voice one (docs/PERFORMANCE-voice.md)
	$(GO) run ./infra/cmd/agentdesk-bench
	@$(MAKE) bench-desktop
	@$(MAKE) bench-voice

bench-desktop: setup ## Desktop cold start (median of 10) and memory on the Tasks page under Xvfb -> docs/PERFORMANCE-desktop.md
	scripts/desktop-bench.sh

bench-voice: setup ## Softphone vs JsSIP in Chromium in one voice lab run (setup time, loss, CPU/memory per call, echo) -> docs/PERFORMANCE-voice.md; root, else skipped
	$(GO) run ./desktop/cmd/agentdesk-voicebench

build: ## Build the Lambda binaries into build/<Function>/bootstrap (linux/arm64)
	@for fn in $(FUNCTIONS); do \
		$(MAKE) build-$$fn ARTIFACTS_DIR=$(CURDIR)/build/$$fn; \
	done

# SAM's BuildMethod: makefile calls build-<LogicalId> with ARTIFACTS_DIR set.
$(addprefix build-,$(FUNCTIONS)): build-%:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set" >&2; exit 1; }
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap $(cmd_$*)

desktop: setup ## Build the desktop app (frontend, then Wails) into desktop/build/bin/agentdesk
	scripts/desktop-build.sh

desktop-test: setup ## Desktop: build, vitest, the built binary under Xvfb, end to end in Chromium against wails dev + the local stack
	scripts/desktop-test.sh

desktop-e2e: setup ## Desktop end to end only (playwright-core + Chromium, two wails dev instances, local stack)
	scripts/desktop-e2e.sh

package: setup ## Desktop packages in dist/: Linux binary + .deb, Windows .exe + NSIS installer
	scripts/desktop-package.sh

clean: ## Remove build outputs
	rm -rf build .aws-sam dist desktop/build/bin

voice-lab: setup ## Start the voice lab (Kamailio, rtpengine, baresip customer/tone/echo) in its own network namespace; root
	@scripts/voice-lab.sh up

voice-lab-down: ## Stop the voice lab
	@scripts/voice-lab.sh down

voice-lab-status: ## Voice lab: what runs, SIP WebSocket URI, domain, extension credentials
	@scripts/voice-lab.sh status

run-voice: voice-lab ## The local stack and (with a display) the desktop app inside the voice lab's namespace, with the lab's softphone settings; root
	set -a; . .local/voice/lab.env; set +a; scripts/voice-lab.sh exec env GO=$(GO) scripts/run.sh
