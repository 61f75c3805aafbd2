package platform

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/events/membus"
	"github.com/b2brecs/b2brecs/shared/scheduler"
	"github.com/b2brecs/b2brecs/shared/scheduler/localcron"
)

func TestFromEnvConnectionSettings(t *testing.T) {
	t.Setenv("B2B_CONNECT_ALLOW", "")
	t.Setenv("B2B_FILE_IMPORT_ROOTS", "")
	cfg := tempLocalConfig(t)
	dir := os.Getenv("B2B_DATA_DIR")
	if cfg.ConnectAllow != "" || len(cfg.FileImportRoots) != 1 || cfg.FileImportRoots[0] != filepath.Join(dir, "imports", "{tenant}") {
		t.Errorf("defaults: allow %q, import roots %q", cfg.ConnectAllow, cfg.FileImportRoots)
	}
	t.Setenv("B2B_CONNECT_ALLOW", "10.0.0.0/8,db.corp.example")
	t.Setenv("B2B_FILE_IMPORT_ROOTS", "/srv/exports/{tenant},/mnt/shared")
	cfg = FromEnv()
	if cfg.ConnectAllow != "10.0.0.0/8,db.corp.example" || strings.Join(cfg.FileImportRoots, " ") != "/srv/exports/{tenant} /mnt/shared" {
		t.Errorf("set: allow %q, import roots %q", cfg.ConnectAllow, cfg.FileImportRoots)
	}
}

// TestConnectionsFollowTheMode: the platform gives connections the outbound
// policy of its mode (loopback allowed locally, nothing internal in the
// cloud, B2B_CONNECT_ALLOW replacing either) and local folders in local
// mode only.
func TestConnectionsFollowTheMode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	const tenant = "acme"

	cases := []struct {
		mode, allow  string
		loopback     bool // the loopback server is reached
		localFolders bool
	}{
		{ModeLocal, "", true, true},
		{ModeLocal, "none", false, true},
		{ModeLocal, "10.0.0.0/8", false, true},
		{ModeCloud, "", false, false},
		{ModeCloud, "127.0.0.1", true, false},
	}
	for _, c := range cases {
		t.Run(c.mode+" "+c.allow, func(t *testing.T) {
			cfg := tempLocalConfig(t)
			cfg.Mode, cfg.ConnectAllow = c.mode, c.allow
			p := openForTest(t, cfg)
			before := accepted.Load()
			tr, err := p.Connections.TestValues(t.Context(), tenant, connections.NewConnection{Fields: connections.Fields{
				Name: "db", Type: connections.Postgres, Host: "127.0.0.1", Port: port, Database: "d", Username: "u"}})
			if err != nil || tr.OK {
				t.Fatalf("TestValues: %v %+v", err, tr)
			}
			refused := strings.Contains(tr.Message, "are not allowed by this deployment")
			if reached := accepted.Load() > before; reached != c.loopback || refused == c.loopback {
				t.Errorf("loopback reached %v (refused %v: %q), want %v", reached, refused, tr.Message, c.loopback)
			}

			imports := filepath.Join(cfg.DataDir, "imports", tenant, "exports")
			if err := os.MkdirAll(imports, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err = p.Connections.Create(t.Context(), tenant, connections.NewConnection{Fields: connections.Fields{
				Name: "folder", Type: connections.GCS, BucketURL: "file://" + filepath.ToSlash(imports)}})
			if c.localFolders && err != nil {
				t.Errorf("a folder under the import folder: %v", err)
			}
			if !c.localFolders && (!errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "local folders are not allowed")) {
				t.Errorf("a local folder in %s mode: %v", c.mode, err)
			}
		})
	}

	cfg := tempLocalConfig(t)
	cfg.ConnectAllow = "10.0.0.0/33"
	log := slog.New(slog.DiscardHandler)
	if _, err := Open(context.Background(), cfg, Options{Logger: log, Bus: &events.Bus{Driver: membus.New(membus.Options{Logger: log})}}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "B2B_CONNECT_ALLOW") {
		t.Errorf("Open with a bad B2B_CONNECT_ALLOW: %v", err)
	}
}

func openForTest(t *testing.T, cfg Config) *Platform {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	bus := &events.Bus{Driver: membus.New(membus.Options{Logger: log})}
	sched := &scheduler.Scheduler{Driver: localcron.New(bus, localcron.Options{Logger: log})}
	p, err := Open(context.Background(), cfg, Options{Logger: log, Bus: bus, Scheduler: sched})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
