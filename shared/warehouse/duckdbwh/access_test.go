package duckdbwh_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// TestQueryCannotReachHost: the SQL given to Query cannot read or write
// host files, attach databases, load extensions or change settings (each
// refused with a kind and a message for the user, nothing written), while
// Load still reads its sources, through copies in the load directory that
// it removes.
func TestQueryCannotReachHost(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.csv")
	if err := os.WriteFile(secret, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "wh.duckdb")
	w, err := warehouse.Open(ctx, "duckdb://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	loadDir := path + ".load"
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	const filesMsg = "A query can only read the warehouse's own tables"
	tests := []struct {
		name, sql string
		kind      errs.Kind
		msg       string
		creates   string // a file the statement must not create
	}{
		{"read_csv of a host file", "SELECT * FROM read_csv(" + quote(secret) + ")", errs.Permission, filesMsg, ""},
		{"read_text of /etc/passwd", "SELECT * FROM read_text('/etc/passwd')", errs.Permission, filesMsg, ""},
		{"read_parquet", "SELECT * FROM read_parquet(" + quote(filepath.Join(dir, "x.parquet")) + ")", errs.Permission, filesMsg, ""},
		{"a bare file name as a table", "SELECT * FROM " + quote(secret), errs.Permission, filesMsg, ""},
		{"glob of the root", "SELECT * FROM glob('/*')", errs.Permission, filesMsg, ""},
		{"out of the load directory by ..", "SELECT * FROM read_csv(" + quote(loadDir+"/../secret.csv") + ")", errs.Permission, filesMsg, ""},
		{"COPY TO", "COPY (SELECT 1 AS a) TO " + quote(filepath.Join(dir, "out.csv")), errs.Permission, filesMsg, filepath.Join(dir, "out.csv")},
		{"EXPORT DATABASE", "EXPORT DATABASE " + quote(filepath.Join(dir, "export")), errs.Permission, filesMsg, filepath.Join(dir, "export")},
		{"ATTACH", "ATTACH " + quote(filepath.Join(dir, "other.duckdb")) + " AS other", errs.Permission, filesMsg, filepath.Join(dir, "other.duckdb")},
		{"INSTALL", "INSTALL httpfs", errs.Permission, filesMsg, ""},
		{"LOAD", "LOAD httpfs", errs.Permission, filesMsg, ""},
		{"turning external access back on", "SET enable_external_access = true", errs.Invalid, "A query cannot change the warehouse's settings.", ""},
		{"unfreezing the configuration", "SET lock_configuration = false", errs.Invalid, "A query cannot change the warehouse's settings.", ""},
		{"widening the allowed directories", "SET allowed_directories = ['/']", errs.Invalid, "A query cannot change the warehouse's settings.", ""},
		{"changing the session's time zone", "SET TimeZone = 'America/New_York'", errs.Invalid, "A query cannot change the warehouse's settings.", ""},
	}
	for _, tt := range tests {
		_, err := w.Query(ctx, tt.sql, nil, 0)
		if got := errs.KindOf(err); err == nil || got != tt.kind {
			t.Errorf("%s: %v (kind %s), want kind %s", tt.name, err, got, tt.kind)
			continue
		}
		if tt.msg != "" && !strings.HasPrefix(errs.UserMessage(err), tt.msg) {
			t.Errorf("%s: user message %q, want %q", tt.name, errs.UserMessage(err), tt.msg)
		}
		if tt.creates != "" {
			if _, err := os.Stat(tt.creates); err == nil {
				t.Errorf("%s: created %s", tt.name, tt.creates)
			}
		}
	}
	// Sessions stay in UTC.
	res, err := w.Query(ctx, "SELECT current_setting('TimeZone') AS tz", nil, 0)
	if err != nil || res.Rows[0][0] != "UTC" {
		t.Errorf("time zone after the refused SET: %v, %v", res.Rows, err)
	}

	// Load still reads files (CSV: the refused read_csv's own function),
	// and leaves nothing in the load directory.
	if err := w.CreateDataset(ctx, "raw_data"); err != nil {
		t.Fatal(err)
	}
	ab := warehouse.Schema{{Name: "a", Type: warehouse.Int64}, {Name: "b", Type: warehouse.Int64}}
	lr, err := w.Load(ctx, warehouse.LoadRequest{Dataset: "raw_data", Table: "secret", Sources: []string{"file://" + secret},
		Format: warehouse.CSV, Schema: ab})
	if err != nil || lr.RowsLoaded != 1 {
		t.Fatalf("CSV load: %+v, %v", lr, err)
	}
	res, err = w.Query(ctx, `SELECT a + b AS s FROM raw_data.secret`, nil, 0)
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != int64(3) {
		t.Errorf("loaded rows: %v, %v", res.Rows, err)
	}
	if left, err := os.ReadDir(loadDir); err != nil || len(left) != 0 {
		t.Errorf("load directory after the load: %v, %v", left, err)
	}
}

// TestLoadDirectory: a database file's load directory is private, emptied
// of a dead process's leftovers on open; a memory database's temporary one
// is removed by Close.
func TestLoadDirectory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wh.duckdb")
	leftover := filepath.Join(path+".load", "job-123", "0-part.parquet")
	if err := os.MkdirAll(filepath.Dir(leftover), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leftover, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := duckdbwh.Open(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path + ".load")
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("load directory: %v, %v, want mode 0700", st, err)
	}
	if left, _ := os.ReadDir(path + ".load"); len(left) != 0 {
		t.Errorf("leftovers not removed on open: %v", left)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.TempDir, where a memory database's load directory goes
	m, err := duckdbwh.Open(ctx, ":memory:", "")
	if err != nil {
		t.Fatal(err)
	}
	if during, _ := os.ReadDir(tmp); len(during) != 1 {
		t.Fatalf("memory database: %v in the temporary directory, want its load directory", during)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadDir(tmp); len(after) != 0 {
		t.Errorf("memory database: %v left after Close", after)
	}
}
