// Command tsgen writes static/src/api/generated.ts: the TypeScript types of
// the JSON the API reads and answers, generated from the Go types with
// encoding/json's rules (field names, omitempty/omitzero, embedded
// structs, null for nil pointers, slices and maps), the doc comments of
// their source, and unions for string types with constants.
//
// Run it from the repository root after changing an API type:
//
//	go run ./tools/tsgen
//
// TestGeneratedIsCurrent fails while the file differs from what tsgen
// would write.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Output is the generated file, relative to the repository root.
const Output = "static/src/api/generated.ts"

func main() {
	root := flag.String("root", "", "repository root (default: the directory holding go.mod, from the working directory up)")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return err
		}
	}
	src, err := generateAPI(root)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, Output), src, 0o644)
}

// generateAPI answers the content of Output for the module at root.
func generateAPI(root string) ([]byte, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	cfg := apiConfig()
	cfg.Source = func(path string) (string, bool) {
		rel, ok := strings.CutPrefix(path, mod)
		if !ok || (rel != "" && rel[0] != '/') {
			return "", false
		}
		return filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(rel, "/"))), true
	}
	return Generate(cfg)
}

// findRoot walks up from the working directory to the one holding go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod in the working directory or above it: run from the repository")
		}
		dir = up
	}
}

// modulePath reads the module line of root/go.mod.
func modulePath(root string) (string, error) {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no module line", filepath.Join(root, "go.mod"))
}
