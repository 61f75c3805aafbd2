package api_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// blackHole accepts TCP connections and never answers (a database that
// hangs); it returns its port.
func blackHole(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// Discovery and tests of a source that does not answer end at the API's
// call deadline, with a transient answer, instead of holding the request.
func TestCallDeadline(t *testing.T) {
	f := newFixture(t)
	d := f.p.APIDeps()
	d.Logger, d.Limits = slog.New(slog.DiscardHandler), api.Limits{CallTimeout: 300 * time.Millisecond}
	h := api.New(d)
	res, err := f.p.Connections.Create(context.Background(), f.tenant.ID, connections.NewConnection{
		Fields: connections.Fields{Name: "Hanging DB", Type: connections.Postgres, Host: "127.0.0.1", Port: blackHole(t),
			Database: "shop", Username: "reader", SSLMode: "disable"},
		Secret: connections.Secret{Password: "pw-of-the-hanging-db"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Connection.ID
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/connections/" + id + "/schemas"},
		{"GET", "/api/connections/" + id + "/tables"},
		{"POST", "/api/connections/" + id + "/test"},
	} {
		start := time.Now()
		r := f.browser(h, browserRequest{method: rt.method, path: rt.path, bearer: f.tokens[tenancy.RoleEditor]})
		el := time.Since(start)
		if el > 5*time.Second {
			t.Errorf("%s %s took %v with a call deadline of 300ms", rt.method, rt.path, el)
		}
		if r.status == 200 && strings.Contains(string(r.body), `"ok":false`) {
			continue // a test may answer its failed result
		}
		if kind, _ := r.errorOf(t); (r.status != 503 && r.status != 504) || kind != "transient" {
			t.Errorf("%s %s = %d %s, want 503/504 transient", rt.method, rt.path, r.status, r.body)
		}
	}
}
