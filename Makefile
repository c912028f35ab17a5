# ARK Member Center. `make run` and `make test` need only Go (and Node.js for
# the CDK tests); everything else is fetched through the Go module proxy or npm.

SHELL       := /bin/bash
GO          ?= go
STAGE       ?= dev
BENCHTIME   ?= 50x
FUNCTIONS   := $(notdir $(wildcard functions/*))
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
CDK         := CDK_HOME=$(CURDIR)/.cdk-home CDK_DISABLE_CLI_TELEMETRY=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 .cdk-cli/node_modules/.bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test test-go test-infra lint build bench synth deploy clean

## run: start the whole system locally on ARK_ADDR (default 127.0.0.1:8080)
run:
	$(GO) run ./cmd/arkmember serve

## test: lint, then every Go test with the race detector, then the CDK tests
test: lint test-go test-infra

test-go:
	$(GO) test -race -count=1 ./...

test-infra:
	cd infra && $(GO) test -count=1 ./...

## lint: gofmt, go vet, staticcheck and go mod tidy must all be clean
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cdk-cli/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
	cd infra && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./... && $(GO) mod tidy -diff

## build: every function as build/<name>/bootstrap (linux/arm64) and build/<name>.zip
build: $(FUNCTIONS:%=build/%.zip)

build/%.zip: FORCE
	@mkdir -p build/$*
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o build/$*/bootstrap ./functions/$*
	$(GO) run ./cmd/lambdazip build/$*/bootstrap $@

FORCE:

## bench: speed and cost benchmarks (see docs/benchmarks.md)
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -count=1 ./... | tee bench.out

## synth: synthesize the CloudFormation template offline into cdk.out/
synth: build
	cd infra && CDK_OUTDIR=../cdk.out $(GO) run .

.cdk-cli/node_modules/.bin/cdk: .cdk-cli/package-lock.json
	cd .cdk-cli && npm ci --no-audit --no-fund
	@touch $@

## deploy: deploy STAGE (dev or prod) with the pinned CDK CLI; needs AWS credentials
deploy: build .cdk-cli/node_modules/.bin/cdk
	$(CDK) deploy --no-notices --require-approval never -c stage=$(STAGE)

clean:
	rm -rf build cdk.out .cdk-home bench.out infra/infra
