#!/usr/bin/env bash
# Prints the go build flags for this machine: -tags=openblas when cgo can
# link OpenBLAS (libopenblas-dev), so the recommendation engine's dense
# algebra runs on it (~9x faster EASE); nothing otherwise (pure-Go gonum).
lib="/usr/lib/$(uname -m)-linux-gnu/libopenblas.so"
if [ -e "$lib" ] && [ "${CGO_ENABLED:-1}" != 0 ] && command -v gcc >/dev/null 2>&1; then
  echo "-tags=openblas"
fi
