package duckdbwh_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/warehouse"
	"github.com/b2brecs/b2brecs/shared/warehouse/duckdbwh"
)

// helperEnv names the role a re-executed test binary plays (see TestMain):
// a second process is the only way to hold a DuckDB file lock against
// this one, and a file size limit (what makes a checkpoint fail for real)
// is best set in a process of its own.
const helperEnv = "B2B_DUCKDB_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(holdLock(os.Getenv("B2B_DUCKDB_TEST_PATH")))
	case "fatal":
		os.Exit(fatalThenReopen(os.Getenv("B2B_DUCKDB_TEST_PATH")))
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// holdLock opens the database at path (taking DuckDB's file lock), says
// "ready" and keeps it open until its stdin closes.
func holdLock(path string) int {
	d, err := duckdbwh.Open(context.Background(), path, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer d.Close()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// fatalThenReopen breaks a DuckDB instance for real: with the process's
// file size limit just above the database file, a checkpoint cannot grow
// the file, DuckDB raises a FATAL error and invalidates the instance. The
// error must be transient, and once the limit is lifted the next call
// must work (the driver reopens the file) and see the committed rows.
func fatalThenReopen(path string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 1
	}
	ctx := context.Background()
	signal.Ignore(syscall.SIGXFSZ) // a write past the limit fails with EFBIG instead of killing the process
	// Settings are given at open: a query cannot change them.
	drv, err := duckdbwh.Open(ctx, path, "checkpoint_threshold=10GB")
	if err != nil {
		return fail("open: %v", err)
	}
	d := warehouse.New(drv) // errors get their kinds through the portable type
	defer d.Close()
	const rows = 200_000
	for _, q := range []string{
		"CREATE TABLE t (v VARCHAR)",
		fmt.Sprintf("INSERT INTO t SELECT md5(i::VARCHAR) || md5((i + 1)::VARCHAR) FROM range(%d) r(i)", rows),
	} {
		if _, err := d.Query(ctx, q, nil, 0); err != nil {
			return fail("%s: %v", q, err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail("stat: %v", err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return fail("getrlimit: %v", err)
	}
	old := lim
	lim.Cur = uint64(st.Size()) + 4096
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return fail("setrlimit: %v", err)
	}
	_, err = d.Query(ctx, "CHECKPOINT", nil, 0)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		return fail("restore rlimit: %v", err)
	}
	if err == nil {
		return fail("CHECKPOINT past the file size limit succeeded; the test cannot break the instance")
	}
	if !strings.Contains(err.Error(), "FATAL") || errs.KindOf(err) != errs.Transient {
		return fail("CHECKPOINT error = %v (kind %s), want a FATAL error of kind transient", err, errs.KindOf(err))
	}
	res, err := d.Query(ctx, "SELECT count(*) FROM t", nil, 0)
	if err != nil {
		return fail("query after the fatal error: %v (the instance must be reopened)", err)
	}
	if n := res.Rows[0][0]; n != int64(rows) {
		return fail("rows after reopening = %v, want %d", n, rows)
	}
	if _, err := d.Query(ctx, "INSERT INTO t VALUES ('after')", nil, 0); err != nil {
		return fail("write after reopening: %v", err)
	}
	fmt.Println("ok")
	return 0
}

// helper starts the test binary in a helper role.
func helper(t *testing.T, role, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, "B2B_DUCKDB_TEST_PATH="+path)
	return cmd
}

// TestReopenAfterFatalError: a warehouse instance broken by a fatal error
// is reopened on its next use (it failed with "database has been
// invalidated" forever before).
func TestReopenAfterFatalError(t *testing.T) {
	cmd := helper(t, "fatal", filepath.Join(t.TempDir(), "wh.duckdb"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("helper: %v\n%s", err, out)
	}
}

// TestErrorKinds classifies errors DuckDB really raises: those that pass
// (a lock held by another process, a full disk) are transient, the rest
// keep their kinds.
func TestErrorKinds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// Another process holds the database file.
	locked := filepath.Join(dir, "locked.duckdb")
	holder := helper(t, "hold", locked)
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	holder.Stderr = os.Stderr
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = holder.Wait()
	}()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			t.Fatalf("lock holder said %q", line)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("lock holder did not start")
	}
	_, lockErr := duckdbwh.Open(ctx, locked, "")

	drv, err := duckdbwh.Open(ctx, filepath.Join(dir, "wh.duckdb"), "")
	if err != nil {
		t.Fatal(err)
	}
	d := warehouse.New(drv) // errors get their kinds through the portable type
	defer d.Close()
	damaged := filepath.Join(dir, "damaged.parquet")
	if err := os.WriteFile(damaged, []byte("this is not a Parquet file"), 0o600); err != nil {
		t.Fatal(err)
	}
	query := func(q string) error { _, err := d.Query(ctx, q, nil, 0); return err }
	// The warehouse's queries cannot reach files any more (see External
	// access): DuckDB's errors about files come from a plain instance, as
	// the driver classifies them.
	plain, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plainQuery := func(q string) error {
		if _, err := plain.ExecContext(ctx, q); err != nil {
			return errs.Wrap(drv.ErrorKind(err), err, "plain DuckDB")
		}
		return nil
	}
	if err := d.CreateTable(ctx, "main", "t", schema); err != nil {
		t.Fatal(err)
	}
	load := func(path string) error {
		_, err := d.Load(ctx, warehouse.LoadRequest{Dataset: "main", Table: "t", Sources: []string{"file://" + path}, Format: warehouse.Parquet})
		return err
	}

	tests := []struct {
		name string
		err  error
		text string // in DuckDB's message
		kind errs.Kind
	}{
		{"lock held by another process", lockErr, "Could not set lock on file", errs.Transient},
		{"disk full", plainQuery("COPY (SELECT 1 AS a) TO '/dev/full' (FORMAT csv)"), "No space left on device", errs.Transient},
		{"missing file", plainQuery("SELECT * FROM read_parquet('" + filepath.Join(dir, "none.parquet") + "')"), "No files found", errs.NotFound},
		{"damaged Parquet file", load(damaged), "No magic bytes", errs.Invalid},
		{"SQL syntax", query("SELEC 1"), "syntax error", errs.Invalid},
		{"missing load source", load(filepath.Join(dir, "gone.parquet")), "no such file", errs.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatalf("no error; want one containing %q", tt.text)
			}
			if !strings.Contains(tt.err.Error(), tt.text) {
				t.Errorf("error %q does not contain %q", tt.err, tt.text)
			}
			if got := errs.KindOf(tt.err); got != tt.kind {
				t.Errorf("kind = %s, want %s (%v)", got, tt.kind, tt.err)
			}
		})
	}
}
