package platform

import (
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// TestConnectionInUseCannotBeDeleted: Open wires the ETL service as the
// connections' job counter, so a connection a database job reads through
// cannot be deleted (409), and can once the job is gone.
func TestConnectionInUseCannotBeDeleted(t *testing.T) {
	dsn := testenv.Require(t, testenv.Postgres)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "b2b_wiring_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	exec := func(q string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE SCHEMA "` + schema + `"`)
	t.Cleanup(func() { exec(`DROP SCHEMA "` + schema + `" CASCADE`) })
	exec(`CREATE TABLE "` + schema + `".items (id int PRIMARY KEY, seq bigint NOT NULL)`)

	dir := t.TempDir()
	cfg := FromEnv()
	cfg.DataDir, cfg.ConfigURL, cfg.SecretsURL = dir, "sqlite://"+dir+"/config.db", "local://"+dir+"/secrets"
	cfg.ConnectAllow = "127.0.0.0/8,::1/128"
	p, err := Open(ctx, cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	port, _ := strconv.Atoi(u.Port())
	pw, _ := u.User.Password()
	const tenant = "t_wiring"
	c, err := p.Connections.Create(ctx, tenant, connections.NewConnection{
		Fields: connections.Fields{Name: "Shop", Type: connections.Postgres, Host: u.Hostname(), Port: port,
			Database: strings.TrimPrefix(u.Path, "/"), Schema: schema, Username: u.User.Username(), SSLMode: "disable"},
		Secret: connections.Secret{Password: pw},
	})
	if err != nil {
		t.Fatal(err)
	}
	job, err := p.ETL.CreateJob(ctx, tenant, etl.NewJob{Name: "items", Database: &etl.DatabaseSource{ConnectionID: c.Connection.ID, Table: "items", TimestampColumn: "seq"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Connections.Delete(ctx, tenant, c.Connection.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("delete a connection a job uses = %v, want conflict", err)
	}
	if err := p.ETL.DeleteJob(ctx, tenant, job.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.Connections.Delete(ctx, tenant, c.Connection.ID); err != nil {
		t.Errorf("delete the connection once no job uses it = %v", err)
	}
}
