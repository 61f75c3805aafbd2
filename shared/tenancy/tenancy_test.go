package tenancy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/docstore"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/tenancy"
	"github.com/b2brecs/b2brecs/shared/tenancy/tenancytest"
)

var ctx = context.Background()

// stores runs f against every store the tests use: the in-memory test
// store and the real SQLite driver (in memory).
func stores(t *testing.T, f func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store))) {
	t.Run("mem", func(t *testing.T) {
		f(t, func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store) {
			return tenancytest.NewService(t, opts...)
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store) {
			st, err := docstore.Open(ctx, "sqlite::memory:")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			opts = append([]tenancy.Option{tenancy.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
			return tenancy.NewService(st, opts...), st
		})
	})
}

func TestRoleAllows(t *testing.T) {
	roles := []tenancy.Role{tenancy.RoleViewer, tenancy.RoleEditor, tenancy.RoleAdmin}
	for i, have := range roles {
		for j, need := range roles {
			if got, want := have.Allows(need), i >= j; got != want {
				t.Errorf("%s.Allows(%s) = %v, want %v", have, need, got, want)
			}
		}
		if have.Allows("owner") || tenancy.Role("owner").Allows(have) || tenancy.Role("").Allows(have) {
			t.Errorf("invalid roles must allow nothing and be allowed by nothing (%s)", have)
		}
	}
	if r, err := tenancy.ParseRole(" Editor "); err != nil || r != tenancy.RoleEditor {
		t.Fatalf("ParseRole = %q, %v", r, err)
	}
	if _, err := tenancy.ParseRole("root"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("ParseRole(root) = %v, want Invalid", err)
	}
}

func TestNewIDAndPassword(t *testing.T) {
	re := regexp.MustCompile(`^u_[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := tenancy.NewID(tenancy.UserIDPrefix)
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	pw := tenancy.GeneratePassword(20)
	if len(pw) != 20 || strings.ContainsAny(pw, "0O1lI/+= ") {
		t.Fatalf("GeneratePassword(20) = %q", pw)
	}
	if pw == tenancy.GeneratePassword(20) {
		t.Fatal("two generated passwords are equal")
	}
	if n := len(tenancy.GeneratePassword(3)); n != tenancy.MinPasswordLen {
		t.Fatalf("short request gave %d characters", n)
	}
}

func TestPasswordRules(t *testing.T) {
	for _, pw := range []string{"", "short", "123456789", strings.Repeat("x", 73)} {
		if _, err := tenancy.HashPassword(pw); !errs.Is(err, errs.Invalid) {
			t.Errorf("HashPassword(len %d) = %v, want Invalid", len(pw), err)
		}
	}
	h, err := tenancy.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$10$") {
		t.Fatalf("hash %q is not bcrypt cost 10", h)
	}
	if !tenancy.CheckPassword(h, "correct horse battery") || tenancy.CheckPassword(h, "correct horse batterY") || tenancy.CheckPassword("", "x") {
		t.Fatal("CheckPassword is wrong")
	}
}

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{" Ann@Example.COM ": "ann@example.com", "a.b+c@x.io": "a.b+c@x.io"}
	for in, want := range good {
		if got, err := tenancy.NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ann", "Ann <ann@x.io>", "a/b@x.io", "a b@x.io", "@x.io"} {
		if _, err := tenancy.NormalizeEmail(in); !errs.Is(err, errs.Invalid) {
			t.Errorf("NormalizeEmail(%q) = %v, want Invalid", in, err)
		}
	}
}

func TestTenantsAndUsers(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		svc, st := newSvc(tenancy.WithClock(func() time.Time { return now }))

		acme, err := svc.CreateTenant(ctx, "  Acme GmbH ")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(acme.ID, "t_") || acme.Name != "Acme GmbH" || !acme.CreatedAt.Equal(now) {
			t.Fatalf("tenant %+v", acme)
		}
		if got, err := svc.GetTenant(ctx, acme.ID); err != nil || got != acme {
			t.Fatalf("GetTenant = %+v, %v", got, err)
		}
		if _, err := svc.GetTenant(ctx, "t_missing"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("GetTenant(missing) = %v", err)
		}
		if _, err := svc.GetTenant(ctx, tenancy.SystemTenant); !errs.Is(err, errs.NotFound) {
			t.Fatalf("GetTenant(_system) = %v", err)
		}
		if _, err := svc.CreateTenant(ctx, " "); !errs.Is(err, errs.Invalid) {
			t.Fatalf("CreateTenant(blank) = %v", err)
		}
		other, _ := svc.CreateTenant(ctx, "Other")
		if ts, err := svc.ListTenants(ctx); err != nil || len(ts) != 2 {
			t.Fatalf("ListTenants = %v, %v", ts, err)
		}

		ann, err := svc.CreateUser(ctx, acme.ID, tenancy.NewUser{Email: "Ann@Acme.example", Name: "Ann", Role: tenancy.RoleAdmin, Password: "ann-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ann.ID, "u_") || ann.Email != "ann@acme.example" || ann.TenantID != acme.ID || ann.Role != tenancy.RoleAdmin || !ann.HasPassword() {
			t.Fatalf("user %+v", ann)
		}
		bob, err := svc.CreateUser(ctx, acme.ID, tenancy.NewUser{Email: "bob@acme.example", Role: tenancy.RoleViewer})
		if err != nil {
			t.Fatal(err)
		}
		if bob.Name != "bob" || bob.HasPassword() {
			t.Fatalf("bob %+v", bob)
		}

		// Errors.
		cases := []struct {
			name   string
			tenant string
			nu     tenancy.NewUser
			kind   errs.Kind
		}{
			{"duplicate in tenant, other case", acme.ID, tenancy.NewUser{Email: "ANN@acme.example", Role: tenancy.RoleViewer}, errs.Conflict},
			{"duplicate across tenants", other.ID, tenancy.NewUser{Email: "ann@acme.example", Role: tenancy.RoleViewer}, errs.Conflict},
			{"missing tenant", "t_nope", tenancy.NewUser{Email: "x@acme.example", Role: tenancy.RoleViewer}, errs.NotFound},
			{"bad role", acme.ID, tenancy.NewUser{Email: "x@acme.example", Role: "root"}, errs.Invalid},
			{"bad email", acme.ID, tenancy.NewUser{Email: "x", Role: tenancy.RoleViewer}, errs.Invalid},
			{"short password", acme.ID, tenancy.NewUser{Email: "x@acme.example", Role: tenancy.RoleViewer, Password: "123456789"}, errs.Invalid},
		}
		for _, tc := range cases {
			if _, err := svc.CreateUser(ctx, tc.tenant, tc.nu); errs.KindOf(err) != tc.kind {
				t.Errorf("%s: CreateUser = %v, want %v", tc.name, err, tc.kind)
			}
		}
		// A failed create leaves no partial index entries behind.
		if n := tenancytest.Count(st, acme.ID, tenancy.KindUserEmail); n != 2 {
			t.Errorf("user_email entries = %d, want 2", n)
		}
		if n := tenancytest.Count(st, tenancy.SystemTenant, tenancy.KindLogin); n != 2 {
			t.Errorf("login entries = %d, want 2", n)
		}

		// Reads are tenant-scoped.
		if got, err := svc.GetUser(ctx, acme.ID, ann.ID); err != nil || !reflect.DeepEqual(got, ann) {
			t.Fatalf("GetUser = %+v, %v", got, err)
		}
		if _, err := svc.GetUser(ctx, other.ID, ann.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("GetUser from another tenant = %v, want NotFound", err)
		}
		users, err := svc.ListUsers(ctx, acme.ID)
		if err != nil || len(users) != 2 || users[0].ID != ann.ID || users[1].ID != bob.ID {
			t.Fatalf("ListUsers = %+v, %v", users, err)
		}
		if users, _ := svc.ListUsers(ctx, other.ID); len(users) != 0 {
			t.Fatalf("other tenant sees %d users", len(users))
		}

		// Login lookup across tenants.
		found, err := svc.FindUserByEmail(ctx, " ANN@acme.example")
		if err != nil || !reflect.DeepEqual(found, ann) {
			t.Fatalf("FindUserByEmail = %+v, %v", found, err)
		}
		if _, err := svc.FindUserByEmail(ctx, "nobody@acme.example"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("FindUserByEmail(unknown) = %v", err)
		}
		if _, err := svc.FindUserByEmail(ctx, "not an email"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("FindUserByEmail(garbage) = %v", err)
		}

		// Roles; the last admin stays an admin.
		if _, err := svc.UpdateUserRole(ctx, acme.ID, ann.ID, tenancy.RoleEditor); !errs.Is(err, errs.Conflict) {
			t.Fatalf("demoting the last admin = %v, want Conflict", err)
		}
		if _, err := svc.SetUserDisabled(ctx, acme.ID, ann.ID, true); !errs.Is(err, errs.Conflict) {
			t.Fatalf("disabling the last admin = %v, want Conflict", err)
		}
		if err := svc.DeleteUser(ctx, acme.ID, ann.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("deleting the last admin = %v, want Conflict", err)
		}
		bob, err = svc.UpdateUserRole(ctx, acme.ID, bob.ID, tenancy.RoleAdmin)
		if err != nil || bob.Role != tenancy.RoleAdmin {
			t.Fatalf("promote = %+v, %v", bob, err)
		}
		ann, err = svc.UpdateUserRole(ctx, acme.ID, ann.ID, tenancy.RoleEditor)
		if err != nil || ann.Role != tenancy.RoleEditor {
			t.Fatalf("demote = %+v, %v", ann, err)
		}
		if got, _ := svc.GetUser(ctx, acme.ID, ann.ID); got.Role != tenancy.RoleEditor || got.PasswordHash == "" {
			t.Fatalf("stored user after role change %+v", got)
		}
		if _, err := svc.UpdateUserRole(ctx, acme.ID, ann.ID, "boss"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad role = %v", err)
		}
		if _, err := svc.UpdateUserRole(ctx, other.ID, ann.ID, tenancy.RoleAdmin); !errs.Is(err, errs.NotFound) {
			t.Fatalf("role change across tenants = %v, want NotFound", err)
		}
		if u, err := svc.SetUserDisabled(ctx, acme.ID, ann.ID, true); err != nil || !u.Disabled {
			t.Fatalf("disable = %+v, %v", u, err)
		}

		// Password change.
		if err := svc.SetPassword(ctx, acme.ID, bob.ID, "bob-password-22"); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.GetUser(ctx, acme.ID, bob.ID); !tenancy.CheckPassword(got.PasswordHash, "bob-password-22") {
			t.Fatal("new password does not check")
		}

		// Delete frees the e-mail everywhere.
		if err := svc.DeleteUser(ctx, acme.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FindUserByEmail(ctx, "ann@acme.example"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("deleted user still found: %v", err)
		}
		if _, err := svc.CreateUser(ctx, other.ID, tenancy.NewUser{Email: "ann@acme.example", Role: tenancy.RoleViewer}); err != nil {
			t.Fatalf("re-using a freed e-mail: %v", err)
		}
	})
}

func TestPasswordHashStoredButNeverEncoded(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		svc, st := newSvc()
		tn, _ := svc.CreateTenant(ctx, "Acme")
		u, err := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "a@acme.example", Role: tenancy.RoleViewer, Password: "secret-password"})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := st.Get(ctx, docstore.Key{Tenant: tn.ID, Kind: tenancy.KindUser, ID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc.Data), `"password_hash":"$2a$10$`) || strings.Contains(string(doc.Data), "secret-password") {
			t.Fatalf("stored record %s", doc.Data)
		}
		for _, v := range []any{u, u.Public()} {
			b, _ := json.Marshal(v)
			if strings.Contains(string(b), "$2a$") || strings.Contains(string(b), "password") {
				t.Fatalf("%T encodes the password hash: %s", v, b)
			}
		}
		b, _ := json.Marshal(u.Public())
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for _, k := range []string{"id", "tenant_id", "email", "name", "role", "created_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("PublicUser JSON lacks %q: %s", k, b)
			}
		}
	})
}

func TestBootstrap(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		svc, _ := newSvc()
		tn, admin, pw, created, err := svc.Bootstrap(ctx, "Acme", "Admin@Acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if !created || len(pw) != tenancy.BootstrapPasswordLen || admin.Role != tenancy.RoleAdmin || admin.TenantID != tn.ID || tn.Name != "Acme" {
			t.Fatalf("first Bootstrap: %+v %+v %q %v", tn, admin, pw, created)
		}
		if !tenancy.CheckPassword(admin.PasswordHash, pw) {
			t.Fatal("returned password does not match the stored hash")
		}
		tn2, admin2, pw2, created2, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
		if err != nil || created2 || pw2 != "" || tn2 != tn || !reflect.DeepEqual(admin2, admin) {
			t.Fatalf("second Bootstrap: %+v %+v %q %v %v", tn2, admin2, pw2, created2, err)
		}
		if ts, _ := svc.ListTenants(ctx); len(ts) != 1 {
			t.Fatalf("%d tenants after two Bootstraps", len(ts))
		}
	})
}

func TestBootstrapSuppliedPassword(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		svc, _ := newSvc()
		if _, _, _, _, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example", tenancy.WithAdminPassword("short")); !errs.Is(err, errs.Invalid) {
			t.Fatalf("short supplied password = %v, want Invalid", err)
		}
		_, admin, pw, created, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example",
			tenancy.WithAdminPassword("from-the-env-123"), tenancy.WithAdminName("Root"))
		if err != nil || !created || pw != "" || admin.Name != "Root" {
			t.Fatalf("Bootstrap = %+v %q %v %v", admin, pw, created, err)
		}
		if !tenancy.CheckPassword(admin.PasswordHash, "from-the-env-123") {
			t.Fatal("supplied password not stored")
		}
	})
}

func TestBootstrapConcurrent(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		svc, _ := newSvc()
		const n = 4
		var wg sync.WaitGroup
		results := make([]string, n)
		createdCount := 0
		var mu sync.Mutex
		for i := range n {
			wg.Go(func() {
				tn, _, _, created, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
				if err != nil {
					t.Errorf("Bootstrap %d: %v", i, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				results[i] = tn.ID
				if created {
					createdCount++
				}
			})
		}
		wg.Wait()
		if createdCount != 1 {
			t.Fatalf("%d Bootstraps reported created", createdCount)
		}
		for _, id := range results {
			if id != results[0] {
				t.Fatalf("Bootstraps disagree on the tenant: %v", results)
			}
		}
		if ts, _ := svc.ListTenants(ctx); len(ts) != 1 {
			t.Fatalf("%d tenants, want 1", len(ts))
		}
	})
}

func ExampleRole_Allows() {
	fmt.Println(tenancy.RoleAdmin.Allows(tenancy.RoleEditor), tenancy.RoleViewer.Allows(tenancy.RoleEditor))
	// Output: true false
}

// Logout and "sign out everywhere" are stored on the user record, which the
// auth middleware reads with every request.
func TestSessions(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		svc, _ := newSvc(tenancy.WithClock(func() time.Time { return now }))
		tn, admin, _, _, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if admin.SessionEpoch != 0 || admin.SessionRevoked("s1") {
			t.Fatalf("a new user has session state: %+v", admin)
		}
		if err := svc.RevokeSession(ctx, tn.ID, admin.ID, "s1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeSession(ctx, tn.ID, admin.ID, "s0", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		u, _ := svc.GetUser(ctx, tn.ID, admin.ID)
		if !u.SessionRevoked("s1") || !u.SessionRevoked("s0") || u.SessionRevoked("s2") || u.SessionEpoch != 0 {
			t.Fatalf("after two logouts: %+v", u.RevokedSessions)
		}
		// Entries past their token's expiry are dropped at the next logout.
		now = now.Add(2 * time.Minute)
		if err := svc.RevokeSession(ctx, tn.ID, admin.ID, "s2", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		u, _ = svc.GetUser(ctx, tn.ID, admin.ID)
		if u.SessionRevoked("s0") || !u.SessionRevoked("s1") || !u.SessionRevoked("s2") {
			t.Fatalf("expired entry kept or live one lost: %+v", u.RevokedSessions)
		}
		// Too many single logouts end every session instead.
		for i := range tenancy.MaxRevokedSessions {
			if err := svc.RevokeSession(ctx, tn.ID, admin.ID, fmt.Sprintf("x%d", i), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		u, _ = svc.GetUser(ctx, tn.ID, admin.ID)
		if u.SessionEpoch != 1 || len(u.RevokedSessions) > tenancy.MaxRevokedSessions {
			t.Fatalf("the list grew past its bound: epoch %d, %d entries", u.SessionEpoch, len(u.RevokedSessions))
		}
		// EndSessions moves the epoch on and records when.
		now = now.Add(time.Minute)
		u, err = svc.EndSessions(ctx, tn.ID, admin.ID)
		if err != nil || u.SessionEpoch != 2 || !u.SessionsEndedAt.Equal(now) || len(u.RevokedSessions) != 0 {
			t.Fatalf("EndSessions = %+v, %v", u, err)
		}
		if _, err := svc.EndSessions(ctx, tn.ID, "u_0000000000000000"); !errs.Is(err, errs.NotFound) {
			t.Errorf("EndSessions of a missing user = %v, want not found", err)
		}
		if err := svc.RevokeSession(ctx, tn.ID, admin.ID, "", now); !errs.Is(err, errs.Invalid) {
			t.Errorf("RevokeSession without an id = %v", err)
		}
	})
}

// Messages a user sees from tenancy name no package and no id.
func TestUserMessages(t *testing.T) {
	svc, _ := tenancytest.NewService(t)
	tn, admin, _, _, err := svc.Bootstrap(ctx, "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	_, errDup := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "admin@acme.example", Role: tenancy.RoleViewer})
	_, errRole := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "x@acme.example", Role: "owner"})
	_, errPw := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "x@acme.example", Role: tenancy.RoleViewer, Password: "short"})
	_, errEmail := svc.CreateUser(ctx, tn.ID, tenancy.NewUser{Email: "not an email", Role: tenancy.RoleViewer})
	_, errGet := svc.GetUser(ctx, tn.ID, "u_0123456789abcdef")
	_, errTenant := svc.GetTenant(ctx, "t_0123456789abcdef")
	_, errLast := svc.UpdateUserRole(ctx, tn.ID, admin.ID, tenancy.RoleViewer)
	cases := []struct {
		name  string
		err   error
		kind  errs.Kind
		field string
		want  string
	}{
		{"duplicate email", errDup, errs.Conflict, "email", "this email address is already in use"},
		{"unknown role", errRole, errs.Invalid, "role", `"owner" is not a role: choose admin, editor or viewer`},
		{"short password", errPw, errs.Invalid, "password", "the password must have at least 10 characters"},
		{"bad email", errEmail, errs.Invalid, "email", "this is not a valid email address (name@example.com)"},
		{"missing user", errGet, errs.NotFound, "", "this user does not exist"},
		{"missing tenant", errTenant, errs.NotFound, "", "this tenant does not exist"},
		{"last admin", errLast, errs.Conflict, "", "this is the last admin of the tenant: make another user admin first"},
	}
	for _, c := range cases {
		if !errs.Is(c.err, c.kind) || errs.UserMessage(c.err) != c.want || errs.FieldOf(c.err) != c.field {
			t.Errorf("%s: %v (kind %s): user message %q field %q, want %s %q %q", c.name, c.err, errs.KindOf(c.err),
				errs.UserMessage(c.err), errs.FieldOf(c.err), c.kind, c.want, c.field)
		}
	}
}

// TestEnsureTenant: a deployment's fixed tenant and its first admin are
// created once, under the given id; running it again changes nothing; the
// admin's email must not belong to another tenant or to a non-admin.
func TestEnsureTenant(t *testing.T) {
	stores(t, func(t *testing.T, newSvc func(opts ...tenancy.Option) (*tenancy.Service, *docstore.Store)) {
		svc, _ := newSvc()
		tn, admin, created, err := svc.EnsureTenant(ctx, "acme", "ACME Supplies", "Admin@Acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if !created || tn.ID != "acme" || tn.Name != "ACME Supplies" || admin.TenantID != "acme" || admin.Role != tenancy.RoleAdmin ||
			admin.Email != "admin@acme.example" || admin.PasswordHash != "" {
			t.Fatalf("first EnsureTenant = %+v %+v %v", tn, admin, created)
		}
		tn2, admin2, created2, err := svc.EnsureTenant(ctx, "acme", "ACME Supplies", "admin@acme.example")
		if err != nil || created2 || tn2 != tn || !reflect.DeepEqual(admin2, admin) {
			t.Fatalf("second EnsureTenant = %+v %+v %v %v", tn2, admin2, created2, err)
		}
		if u, err := svc.FindUserByEmail(ctx, "admin@acme.example"); err != nil || u.ID != admin.ID {
			t.Fatalf("FindUserByEmail = %+v %v (the ID token verifier finds users this way)", u, err)
		}
		if ts, _ := svc.ListTenants(ctx); len(ts) != 1 {
			t.Fatalf("%d tenants after two EnsureTenant", len(ts))
		}
		// A second admin of the same tenant is added; the tenant stays.
		if _, a2, created, err := svc.EnsureTenant(ctx, "acme", "ACME Supplies", "ops@acme.example"); err != nil || !created || a2.ID == admin.ID {
			t.Fatalf("second admin = %+v %v %v", a2, created, err)
		}
		// Another tenant may not take an email in use.
		if _, _, _, err := svc.EnsureTenant(ctx, "globex", "Globex", "admin@acme.example"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("email of another tenant = %v, want Conflict", err)
		}
		if _, err := svc.GetTenant(ctx, "globex"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a refused EnsureTenant left tenant globex: %v", err)
		}
		// A viewer of the tenant is not silently made admin.
		if _, err := svc.CreateUser(ctx, "acme", tenancy.NewUser{Email: "viewer@acme.example", Role: tenancy.RoleViewer}); err != nil {
			t.Fatal(err)
		}
		_, _, _, err = svc.EnsureTenant(ctx, "acme", "ACME Supplies", "viewer@acme.example")
		if !errs.Is(err, errs.Conflict) || !strings.Contains(errs.UserMessage(err), "not an active admin") {
			t.Fatalf("non-admin email = %v (%q), want Conflict saying so", err, errs.UserMessage(err))
		}
		for _, bad := range []string{"", "Acme Supplies", "a/b"} {
			if _, _, _, err := svc.EnsureTenant(ctx, bad, "X", "x@example.com"); !errs.Is(err, errs.Invalid) {
				t.Errorf("EnsureTenant(id %q) = %v, want Invalid", bad, err)
			}
		}
	})
}
