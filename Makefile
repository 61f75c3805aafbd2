# b2brecs — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
DATA  ?= var
ADDR  ?= 127.0.0.1:8080
STATICCHECK ?= v0.8.2
# -tags=openblas when libopenblas-dev is installed (scripts/install-deps.sh adds it)
GOTAGS ?= $(shell scripts/gotags.sh)

.PHONY: run build static test test-go test-static test-e2e cloud-rehearsal bench lint package clean services-start services-stop

## run: build the web app and start the whole platform on one machine
run: static
	B2B_DATA_DIR=$(DATA) B2B_ADDR=$(ADDR) $(GO) run $(GOTAGS) ./functions/cmd/recs

## build: the local platform binary (bin/recs)
build:
	$(GO) build $(GOTAGS) -o bin/recs ./functions/cmd/recs

## static: the single-page app (static/dist)
static:
	@cd static && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm run build

## test: install what the tests need, start the services, run every suite
test:
	scripts/test.sh all

test-go:
	scripts/test.sh go

test-static:
	scripts/test.sh static

test-e2e:
	scripts/test.sh e2e

## cloud-rehearsal: the cloud wiring on emulators (packaged functions as processes, Pub/Sub pushes, fake-gcs notifications, the Online Retail run, a killed function); also inside make test
cloud-rehearsal:
	scripts/cloud-rehearsal.sh

## bench: benchmarks, written to BENCHMARKS.md
bench:
	scripts/bench.sh

## lint: gofmt, go vet, staticcheck and the web app's type-check
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...
	cd static && npm run lint

## package: the Cloud Functions source archive (dist/functions-source.zip)
package:
	scripts/package-functions.sh

services-start:
	scripts/test-services.sh start

services-stop:
	scripts/test-services.sh stop

clean:
	rm -rf bin dist static/dist
