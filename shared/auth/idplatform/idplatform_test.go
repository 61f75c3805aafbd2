package idplatform_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/auth/idplatform"
	"github.com/b2brecs/b2brecs/shared/auth/idplatform/idpfake"
	"github.com/b2brecs/b2brecs/shared/docstore"
	_ "github.com/b2brecs/b2brecs/shared/docstore/memdoc"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

const project = "acme-recs"

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// start serves a fake and returns it with a client of it.
func start(t *testing.T) (*idpfake.Fake, *idplatform.Client) {
	t.Helper()
	f := idpfake.New(project)
	host, stop := f.Start()
	t.Cleanup(func() {
		stop()
		for _, p := range f.Problems() {
			t.Errorf("Auth emulator fake: %s", p)
		}
	})
	c, err := idplatform.New(project, idplatform.Options{Endpoint: host})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestInvite(t *testing.T) {
	const secret = "an initial password"
	for _, tc := range []struct {
		name      string
		existing  *idpfake.Account
		password  string
		wantCalls []string
		want      idpfake.Account
		wantMail  bool
		wantKind  errs.Kind
	}{
		{
			name:      "new user: a verified account without password, and a mail to set one",
			wantCalls: []string{"accounts:lookup", "accounts", "accounts:sendOobCode"},
			want:      idpfake.Account{LocalID: "uid1", Email: "ann@acme.example", DisplayName: "Ann", EmailVerified: true},
			wantMail:  true,
		},
		{
			name:      "existing account: kept as it is, the mail sent all the same",
			existing:  &idpfake.Account{LocalID: "g1", Email: "ann@acme.example", DisplayName: "Ann G", PasswordHash: "x"},
			wantCalls: []string{"accounts:lookup", "accounts:sendOobCode"},
			want:      idpfake.Account{LocalID: "g1", Email: "ann@acme.example", DisplayName: "Ann G", PasswordHash: "x"},
			wantMail:  true,
		},
		{
			name:      "new user with the admin's password: the account signs in with it, no mail",
			password:  secret,
			wantCalls: []string{"accounts:lookup", "accounts"},
			want:      idpfake.Account{LocalID: "uid1", Email: "ann@acme.example", DisplayName: "Ann", EmailVerified: true, PasswordHash: idpfake.PasswordHashOf(secret)},
		},
		{
			name:      "existing account and a password: refused, the account keeps its own",
			existing:  &idpfake.Account{LocalID: "g1", Email: "ann@acme.example", PasswordHash: "x"},
			password:  secret,
			wantCalls: []string{"accounts:lookup"},
			want:      idpfake.Account{LocalID: "g1", Email: "ann@acme.example", PasswordHash: "x"},
			wantKind:  errs.Conflict,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c := start(t)
			if tc.existing != nil {
				f.AddAccount(*tc.existing)
			}
			err := c.Invite(ctx(t), "ann@acme.example", "Ann", tc.password)
			if errs.KindOf(err) != tc.wantKind || (err != nil) != (tc.wantKind != errs.Unknown) {
				t.Fatalf("Invite: %v, want kind %s", err, tc.wantKind)
			}
			if got := f.Calls(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("calls = %v, want %v", got, tc.wantCalls)
			}
			if got := f.Accounts(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("accounts = %+v, want [%+v]", got, tc.want)
			}
			mails := f.OobCodes()
			if !tc.wantMail {
				if len(mails) != 0 {
					t.Errorf("mails = %+v, want none", mails)
				}
				return
			}
			if len(mails) != 1 || mails[0].Email != "ann@acme.example" || mails[0].RequestType != "PASSWORD_RESET" || !strings.Contains(mails[0].OobLink, "oobCode=") {
				t.Errorf("mails = %+v, want one PASSWORD_RESET link to ann@acme.example", mails)
			}
		})
	}
}

func TestInviteErrors(t *testing.T) {
	for _, tc := range []struct {
		method   string
		status   int
		kind     errs.Kind
		userText string
	}{
		{"accounts:lookup", 403, errs.Permission, "Firebase Authentication Admin role"},
		{"accounts", 503, errs.Transient, "could not be reached; try again"},
		{"accounts:sendOobCode", 429, errs.Transient, "could not be reached; try again"},
		{"accounts", 404, errs.NotFound, "not set up"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			f, c := start(t)
			f.Fail(tc.method, tc.status)
			err := c.Invite(ctx(t), "bob@acme.example", "Bob", "")
			if errs.KindOf(err) != tc.kind || !strings.Contains(errs.UserMessage(err), tc.userText) {
				t.Errorf("HTTP %d on %s: %v (kind %s, user text %q), want kind %s and %q", tc.status, tc.method, err, errs.KindOf(err), errs.UserMessage(err), tc.kind, tc.userText)
			}
			if strings.Contains(errs.UserMessage(err), "idplatform") {
				t.Errorf("the user message names a package: %q", errs.UserMessage(err))
			}
		})
	}
	// Nothing listens: transient.
	c, err := idplatform.New(project, idplatform.Options{Endpoint: "127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Invite(ctx(t), "bob@acme.example", "Bob", ""); !errs.Is(err, errs.Transient) {
		t.Errorf("unreachable emulator: %v, want transient", err)
	}
}

// newTenancy is a tenancy service on an in-memory store with one tenant.
func newTenancy(t *testing.T, opts ...tenancy.Option) (*tenancy.Service, string) {
	t.Helper()
	store, err := docstore.Open(ctx(t), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	s := tenancy.NewService(store, opts...)
	tn, _, _, err := s.EnsureTenant(ctx(t), "acme", "Acme", "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	return s, tn.ID
}

// TestCreateUserInvites: in cloud mode, adding a user without a password
// makes their Identity Platform account and mails them; an email in use is
// refused before anything is made; a failed invitation leaves no member.
func TestCreateUserInvites(t *testing.T) {
	f, c := start(t)
	s, tenant := newTenancy(t, tenancy.WithAccounts(c))

	u, err := s.CreateUser(ctx(t), tenant, tenancy.NewUser{Email: "Ann@Acme.example", Name: "Ann", Role: tenancy.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	if found, err := s.FindUserByEmail(ctx(t), "ann@acme.example"); err != nil || found.ID != u.ID {
		t.Errorf("member: %+v, %v", found, err)
	}
	if got := f.Accounts(); len(got) != 1 || got[0].Email != "ann@acme.example" || !got[0].EmailVerified {
		t.Errorf("accounts = %+v, want ann@acme.example, verified", got)
	}
	if got := f.OobCodes(); len(got) != 1 || got[0].Email != "ann@acme.example" {
		t.Errorf("mails = %+v, want one to ann@acme.example", got)
	}

	// The admin's email is in use: refused, no account made, no mail.
	if _, err := s.CreateUser(ctx(t), tenant, tenancy.NewUser{Email: "admin@acme.example", Role: tenancy.RoleViewer}); !errs.Is(err, errs.Conflict) {
		t.Errorf("email in use: %v, want conflict", err)
	}
	if n, m := len(f.Accounts()), len(f.OobCodes()); n != 1 || m != 1 {
		t.Errorf("after a refused user: %d accounts, %d mails, want 1 and 1", n, m)
	}

	// Identity Platform down: the user is not added, and says so.
	f.Fail("accounts", 503)
	_, err = s.CreateUser(ctx(t), tenant, tenancy.NewUser{Email: "bob@acme.example", Role: tenancy.RoleEditor})
	if !errs.Is(err, errs.Transient) || !strings.HasPrefix(errs.UserMessage(err), "bob@acme.example was not added") {
		t.Errorf("invitation failed: %v (user text %q), want transient, starting with the email not added", err, errs.UserMessage(err))
	}
	if _, err := s.FindUserByEmail(ctx(t), "bob@acme.example"); !errs.Is(err, errs.NotFound) {
		t.Errorf("a user whose invitation failed is still a member: %v", err)
	}
	// ... and can be added once it is back.
	f.Fail("accounts", 0)
	if _, err := s.CreateUser(ctx(t), tenant, tenancy.NewUser{Email: "bob@acme.example", Role: tenancy.RoleEditor}); err != nil {
		t.Errorf("second try: %v", err)
	}

	// With a password (the admin shares it): the account signs in with
	// it, no mail, and no password is kept in the store.
	before := len(f.OobCodes())
	carl, err := s.CreateUser(ctx(t), tenant, tenancy.NewUser{Email: "carl@acme.example", Role: tenancy.RoleViewer, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	if carl.PasswordHash != "" {
		t.Errorf("the store keeps a password hash for an Identity Platform user")
	}
	accs := f.Accounts()
	if i := slices.IndexFunc(accs, func(a idpfake.Account) bool { return a.Email == "carl@acme.example" }); i < 0 || accs[i].PasswordHash != idpfake.PasswordHashOf("a long enough password") {
		t.Errorf("accounts = %+v, want carl@acme.example with the given password", accs)
	}
	if after := len(f.OobCodes()); after != before {
		t.Errorf("a user added with a password was mailed")
	}
	// A short password is refused before anything is made.
	calls := len(f.Calls())
	if _, err := s.CreateUser(ctx(t), tenant, tenancy.NewUser{Email: "dan@acme.example", Role: tenancy.RoleViewer, Password: "short"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("short password: %v, want invalid", err)
	}
	if len(f.Calls()) != calls {
		t.Errorf("a refused password reached Identity Platform")
	}
}

// TestPlatformInvitesInCloudMode: the platform wires the invitations in
// identity-platform auth mode (FIREBASE_AUTH_EMULATOR_HOST names the
// emulator), and not in local mode.
func TestPlatformInvitesInCloudMode(t *testing.T) {
	f := idpfake.New(project)
	host, stop := f.Start()
	defer stop()
	t.Setenv(idplatform.EmulatorHostEnv, host)
	for _, tc := range []struct {
		auth      string
		wantCalls bool
	}{{"identity-platform", true}, {"local", false}} {
		t.Run(tc.auth, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("B2B_DATA_DIR", dir)
			t.Setenv("B2B_CONFIG_URL", "mem://")
			t.Setenv("B2B_AUTH_MODE", tc.auth)
			t.Setenv("B2B_PROJECT", project)
			p, err := platform.Open(ctx(t), platform.FromEnv(), platform.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			tn, _, _, err := p.Tenancy.EnsureTenant(ctx(t), "acme", "Acme", "admin@acme.example")
			if err != nil {
				t.Fatal(err)
			}
			before := len(f.OobCodes())
			email := "dora-" + strings.ReplaceAll(tc.auth, "-", "") + "@acme.example"
			if _, err := p.Tenancy.CreateUser(ctx(t), tn.ID, tenancy.NewUser{Email: email, Role: tenancy.RoleViewer}); err != nil {
				t.Fatal(err)
			}
			if got := len(f.OobCodes()) - before; (got == 1) != tc.wantCalls {
				t.Errorf("%s auth: %d invitation mails, want invitations %v", tc.auth, got, tc.wantCalls)
			}
		})
	}
}
