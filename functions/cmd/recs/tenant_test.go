package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// TestTenantBootstrap: `recs tenant bootstrap` creates the deployment's
// tenant under its fixed id and the first admin, and a second run changes
// nothing; on the local SQLite store and on the Firestore emulator (the
// config store of a deployed project).
func TestTenantBootstrap(t *testing.T) {
	stores := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string {
			return "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "config.db"))
		},
		"firestore": func(t *testing.T) string {
			testenv.Require(t, testenv.Firestore)
			return fmt.Sprintf("firestore://b2b-bootstrap-%d", time.Now().UnixNano())
		},
	}
	for name, storeURL := range stores {
		t.Run(name, func(t *testing.T) {
			url := storeURL(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := []string{"bootstrap", "-config-url", url, "-tenant", "acme", "-name", "ACME Supplies", "-admin", "Admin@Acme.example"}
			for i, want := range []string{"created", "already there, unchanged"} {
				var out, errOut bytes.Buffer
				if err := runTenant(ctx, args, &out, &errOut); err != nil {
					t.Fatalf("run %d: %v (%s)", i+1, err, errOut.String())
				}
				if !strings.Contains(out.String(), "tenant acme (ACME Supplies): "+want) || !strings.Contains(out.String(), "admin admin@acme.example") {
					t.Errorf("run %d printed %q, want tenant acme %s and the admin", i+1, out.String(), want)
				}
			}
			store, err := docstore.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			svc := tenancy.NewService(store)
			u, err := svc.FindUserByEmail(ctx, "admin@acme.example")
			if err != nil || u.TenantID != "acme" || u.Role != tenancy.RoleAdmin {
				t.Fatalf("admin = %+v, %v; want an admin of tenant acme", u, err)
			}
			if ts, err := svc.ListTenants(ctx); err != nil || len(ts) != 1 || ts[0].ID != "acme" {
				t.Fatalf("tenants = %+v, %v; want only acme", ts, err)
			}
		})
	}
}

func TestTenantBootstrapUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: recs tenant bootstrap"},
		{[]string{"nope"}, `unknown tenant command "nope"`},
		{[]string{"bootstrap", "-tenant", "acme", "-admin", "a@b.example"}, "-project PROJECT"},
		{[]string{"bootstrap", "-project", "p", "-admin", "a@b.example"}, "-tenant ID"},
		{[]string{"bootstrap", "-project", "p", "-tenant", "acme"}, "-admin EMAIL"},
	} {
		t.Setenv("B2B_PROJECT", "")
		t.Setenv("B2B_CONFIG_URL", "")
		t.Setenv("B2B_TENANT_ID", "")
		t.Setenv("B2B_ADMIN_EMAIL", "")
		var out, errOut bytes.Buffer
		err := runTenant(context.Background(), tc.args, &out, &errOut)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.UserMessage(err), tc.want) {
			t.Errorf("recs tenant %v = %v (%q), want Invalid mentioning %q", tc.args, err, errs.UserMessage(err), tc.want)
		}
	}
}
