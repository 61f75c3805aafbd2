package sqlitedoc_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/docstore/docstoretest"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
)

func TestConformanceFile(t *testing.T) {
	docstoretest.Run(t, func(t *testing.T) docstore.Driver {
		s, err := docstore.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "config.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s.Driver
	})
}

func TestConformanceMemory(t *testing.T) {
	docstoretest.Run(t, func(t *testing.T) docstore.Driver {
		s, err := docstore.Open(context.Background(), "sqlite::memory:")
		if err != nil {
			t.Fatal(err)
		}
		return s.Driver
	})
}
