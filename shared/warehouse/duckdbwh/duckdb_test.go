package duckdbwh_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/b2brecs/b2brecs/shared/warehouse"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
	"github.com/b2brecs/b2brecs/shared/warehouse/warehousetest"
)

func openMem(t *testing.T) warehouse.Driver {
	t.Helper()
	w, err := warehouse.Open(context.Background(), "duckdb://:memory:")
	if err != nil {
		t.Fatal(err)
	}
	return w // the portable type, as the code uses it
}

func stageFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

func TestConformance(t *testing.T) {
	warehousetest.Run(t, openMem, stageFile)
}

// TestConformanceFile runs the catalog part on a database file.
func TestConformanceFile(t *testing.T) {
	warehousetest.RunCatalog(t, func(t *testing.T) warehouse.Driver {
		w, err := warehouse.Open(context.Background(), "duckdb://"+filepath.Join(t.TempDir(), "wh.duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		return w.Driver
	})
}
