// Package secretstest is the conformance suite every secrets driver must pass.
package secretstest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets"
)

// Run runs the suite. open must return a driver over an empty store; it is
// called once per subtest, and Run closes what it returns.
func Run(t *testing.T, open func(t *testing.T) secrets.Driver) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, d secrets.Driver)
	}{
		{"RoundTrip", testRoundTrip},
		{"LatestVersionWins", testLatest},
		{"TenantIsolation", testIsolation},
		{"NotFound", testNotFound},
		{"DeleteThenGet", testDelete},
		{"InvalidNames", testInvalidNames},
		{"InvalidValues", testInvalidValues},
		{"ErrorsNeverContainValue", testNoValueInErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			d := secrets.New(open(t)) // through the portable type, as the code uses it
			t.Cleanup(func() {
				if err := d.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			tc.fn(t, ctx, d)
		})
	}
}

func put(t *testing.T, ctx context.Context, d secrets.Driver, tenant, name string, v []byte) {
	t.Helper()
	if err := d.Put(ctx, tenant, name, v); err != nil {
		t.Fatalf("Put(%s, %s): %v", tenant, name, err)
	}
}

func get(t *testing.T, ctx context.Context, d secrets.Driver, tenant, name string) []byte {
	t.Helper()
	v, err := d.Get(ctx, tenant, name)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", tenant, name, err)
	}
	return v
}

func testRoundTrip(t *testing.T, ctx context.Context, d secrets.Driver) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	cases := []struct {
		tenant, name string
		value        []byte
	}{
		{"acme", "pg-password", []byte("s3cr3t-Pa55!")},
		{"acme", "service_account_json", []byte(`{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMII..."}`)},
		{"acme", "binary", binary},
		{"Tenant_42-x", strings.Repeat("n", secrets.MaxNameLen), []byte("long name")},
		{"big", "blob", bytes.Repeat([]byte{0xA5}, secrets.MaxValueLen)},
	}
	for _, c := range cases {
		put(t, ctx, d, c.tenant, c.name, c.value)
	}
	for _, c := range cases {
		if got := get(t, ctx, d, c.tenant, c.name); !bytes.Equal(got, c.value) {
			t.Errorf("Get(%s, %.20s...) returned %d bytes that differ from the %d put", c.tenant, c.name, len(got), len(c.value))
		}
	}
}

func testLatest(t *testing.T, ctx context.Context, d secrets.Driver) {
	for i := 1; i <= 5; i++ {
		put(t, ctx, d, "acme", "api-key", fmt.Appendf(nil, "key-v%d", i))
		if got, want := string(get(t, ctx, d, "acme", "api-key")), fmt.Sprintf("key-v%d", i); got != want {
			t.Errorf("after put %d: Get returned a different version (len %d, want %q)", i, len(got), want)
		}
	}
	// A shorter value after a longer one.
	put(t, ctx, d, "acme", "api-key", []byte("k"))
	if got := string(get(t, ctx, d, "acme", "api-key")); got != "k" {
		t.Errorf("Get after shorter value: len %d, want 1", len(got))
	}
}

func testIsolation(t *testing.T, ctx context.Context, d secrets.Driver) {
	// Tenants that would collide under a naive "t-<tenant>-<name>" id.
	pairs := []struct{ tenant, name, value string }{
		{"acme", "pg-password", "acme's"},
		{"globex", "pg-password", "globex's"},
		{"acme-pg", "password", "acme-pg's"},
		{"acme_pg", "password", "acme_pg's"},
		{"ACME", "pg-password", "ACME's"},
	}
	for _, p := range pairs {
		put(t, ctx, d, p.tenant, p.name, []byte(p.value))
	}
	for _, p := range pairs {
		if got := string(get(t, ctx, d, p.tenant, p.name)); got != p.value {
			t.Errorf("Get(%s, %s) returned another tenant's value (%q, want %q)", p.tenant, p.name, got, p.value)
		}
	}
	if err := d.Delete(ctx, "acme", "pg-password"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got := string(get(t, ctx, d, "globex", "pg-password")); got != "globex's" {
		t.Errorf("deleting acme's secret changed globex's: %q", got)
	}
	if _, err := d.Get(ctx, "other", "pg-password"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("Get from a tenant with no secrets: %v, want not_found", err)
	}
}

func testNotFound(t *testing.T, ctx context.Context, d secrets.Driver) {
	put(t, ctx, d, "acme", "present", []byte("x"))
	for _, c := range []struct{ tenant, name string }{{"acme", "missing"}, {"nobody", "present"}} {
		v, err := d.Get(ctx, c.tenant, c.name)
		if errs.KindOf(err) != errs.NotFound || v != nil {
			t.Errorf("Get(%s, %s) = %d bytes, %v (kind %v); want nil, not_found", c.tenant, c.name, len(v), err, errs.KindOf(err))
		}
	}
}

func testDelete(t *testing.T, ctx context.Context, d secrets.Driver) {
	put(t, ctx, d, "acme", "token", []byte("v1"))
	put(t, ctx, d, "acme", "token", []byte("v2"))
	if err := d.Delete(ctx, "acme", "token"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := d.Get(ctx, "acme", "token"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("Get after Delete: %v, want not_found (all versions gone)", err)
	}
	if err := d.Delete(ctx, "acme", "token"); err != nil {
		t.Errorf("Delete of a missing secret: %v, want nil", err)
	}
	// It can be created again, starting afresh.
	put(t, ctx, d, "acme", "token", []byte("v3"))
	if got := string(get(t, ctx, d, "acme", "token")); got != "v3" {
		t.Errorf("Get after re-create: %q, want v3", got)
	}
}

var badNames = []string{
	"", "a/b", "../x", "..", "a.b", "with space", "a\x00b", "ü", "a\nb", `a\b`, "tab\t",
	strings.Repeat("a", secrets.MaxNameLen+1),
}

func testInvalidNames(t *testing.T, ctx context.Context, d secrets.Driver) {
	for _, bad := range badNames {
		for _, tn := range [][2]string{{bad, "name"}, {"acme", bad}} {
			tenant, name := tn[0], tn[1]
			if err := d.Put(ctx, tenant, name, []byte("v")); errs.KindOf(err) != errs.Invalid {
				t.Errorf("Put(%q, %q): %v, want invalid", tenant, name, err)
			}
			if _, err := d.Get(ctx, tenant, name); errs.KindOf(err) != errs.Invalid {
				t.Errorf("Get(%q, %q): %v, want invalid", tenant, name, err)
			}
			if err := d.Delete(ctx, tenant, name); errs.KindOf(err) != errs.Invalid {
				t.Errorf("Delete(%q, %q): %v, want invalid", tenant, name, err)
			}
		}
	}
}

func testInvalidValues(t *testing.T, ctx context.Context, d secrets.Driver) {
	for _, v := range [][]byte{nil, {}, make([]byte, secrets.MaxValueLen+1)} {
		if err := d.Put(ctx, "acme", "x", v); errs.KindOf(err) != errs.Invalid {
			t.Errorf("Put of %d bytes: %v, want invalid", len(v), err)
		}
	}
	if _, err := d.Get(ctx, "acme", "x"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("a rejected Put stored something: Get = %v, want not_found", err)
	}
}

func testNoValueInErrors(t *testing.T, ctx context.Context, d secrets.Driver) {
	const value = "Sup3rS3cretValue-7f3a9c"
	var errors []error
	collect := func(err error) {
		if err != nil {
			errors = append(errors, err)
		}
	}
	put(t, ctx, d, "acme", "db", []byte(value))
	for _, bad := range badNames {
		collect(d.Put(ctx, bad, "db", []byte(value)))
		collect(d.Put(ctx, "acme", bad, []byte(value)))
	}
	collect(d.Put(ctx, "acme", "db", append([]byte(value), make([]byte, secrets.MaxValueLen)...)))
	_, err := d.Get(ctx, "acme", "missing")
	collect(err)
	if len(errors) < 2*len(badNames)+2 {
		t.Fatalf("only %d of the bad calls failed", len(errors))
	}
	for _, err := range errors {
		if msg := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(msg, value) {
			t.Errorf("error reveals the secret value: %v", err)
		}
	}
	if got := string(get(t, ctx, d, "acme", "db")); got != value {
		t.Errorf("failed calls changed the stored value")
	}
}
