package secretmanager_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets"
	"github.com/b2brecs/b2brecs/shared/secrets/secretmanager"
	"github.com/b2brecs/b2brecs/shared/secrets/secretstest"
)

const project = "b2b-test-project"

func openFake(t *testing.T, f *fakeSM, addr string) *secrets.Store {
	t.Helper()
	s, err := secrets.Open(t.Context(), "secretmanager://"+project+"?endpoint="+addr)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestConformanceFakeServer(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.Driver {
		f, addr := startFake(t, project)
		return openFake(t, f, addr)
	})
}

func TestSecretID(t *testing.T) {
	tests := []struct{ tenant, name, want string }{
		{"acme", "pg-password", "t-acme-pg-password"},
		{"Acme42", "api_key", "t-Acme42-api_key"},
		{"acme-eu", "pg", "t-acme_deu-pg"},
		{"acme_eu", "pg", "t-acme__eu-pg"},
		{"a-_b", "c", "t-a_d__b-c"},
	}
	for _, tc := range tests {
		got, err := secretmanager.SecretID(tc.tenant, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("SecretID(%q, %q) = %q, %v; want %q", tc.tenant, tc.name, got, err, tc.want)
		}
	}
	// Ids are distinct for pairs a naive join would merge.
	seen := map[string][2]string{}
	for _, p := range [][2]string{{"a", "b-c"}, {"a-b", "c"}, {"a_b", "c"}, {"a", "b_c"}, {"a_d", "c"}, {"a-", "c"}, {"a", "-c"}} {
		id, err := secretmanager.SecretID(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("SecretID collision: %v and %v both give %q", prev, p, id)
		}
		seen[id] = p
	}
	long := strings.Repeat("x", 200)
	if _, err := secretmanager.SecretID(long, long); errs.KindOf(err) != errs.Invalid {
		t.Errorf("400-character pair: %v, want invalid", err)
	}
	if _, err := secretmanager.SecretID("a/b", "c"); errs.KindOf(err) != errs.Invalid {
		t.Errorf("bad tenant: %v, want invalid", err)
	}
}

func TestFakeServerRequests(t *testing.T) {
	f, addr := startFake(t, project)
	s := openFake(t, f, addr)
	defer s.Close()
	ctx := t.Context()

	if err := s.Put(ctx, "acme-eu", "pg-password", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	// First Put: AddSecretVersion (NotFound), CreateSecret, AddSecretVersion.
	if a, c := f.callCount("AddSecretVersion"), f.callCount("CreateSecret"); a != 2 || c != 1 {
		t.Errorf("first put: %d AddSecretVersion, %d CreateSecret; want 2 and 1", a, c)
	}
	if err := s.Put(ctx, "acme-eu", "pg-password", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if a, c := f.callCount("AddSecretVersion"), f.callCount("CreateSecret"); a != 3 || c != 1 {
		t.Errorf("second put: %d AddSecretVersion, %d CreateSecret; want 3 and 1", a, c)
	}
	sec, ok := f.secret("acme-eu", "pg-password")
	if !ok {
		t.Fatal("secret not stored under its id")
	}
	if sec.secret.GetName() != "projects/"+project+"/secrets/t-acme_deu-pg-password" {
		t.Errorf("secret name %q", sec.secret.GetName())
	}
	ann := sec.secret.GetAnnotations()
	if ann[secretmanager.AnnotationTenant] != "acme-eu" || ann[secretmanager.AnnotationName] != "pg-password" {
		t.Errorf("annotations %v", ann)
	}
	if len(sec.versions) != 2 || string(sec.versions[0]) != "v1" || string(sec.versions[1]) != "v2" {
		t.Errorf("versions %q, want [v1 v2]", sec.versions)
	}
	if v, err := s.Get(ctx, "acme-eu", "pg-password"); err != nil || string(v) != "v2" {
		t.Errorf("Get = %q, %v; want v2", v, err)
	}
	if err := s.Delete(ctx, "acme-eu", "pg-password"); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.secret("acme-eu", "pg-password"); ok {
		t.Error("secret still stored after Delete")
	}
	// Invalid names never reach the server.
	before := f.callCount("AddSecretVersion")
	if err := s.Put(ctx, "acme", "a/b", []byte("v")); errs.KindOf(err) != errs.Invalid {
		t.Errorf("bad name: %v", err)
	}
	if f.callCount("AddSecretVersion") != before {
		t.Error("a request was sent for an invalid name")
	}
}

func TestFakeServerErrorKinds(t *testing.T) {
	f, addr := startFake(t, project)
	s := openFake(t, f, addr)
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "acme", "k", []byte("value-123")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code codes.Code
		want errs.Kind
	}{
		{codes.PermissionDenied, errs.Permission},
		{codes.Unauthenticated, errs.Unauthenticated},
		{codes.InvalidArgument, errs.Invalid},
		{codes.FailedPrecondition, errs.Conflict},
		{codes.Unavailable, errs.Transient},
		{codes.Internal, errs.Transient},
		{codes.Unimplemented, errs.Unsupported},
		{codes.NotFound, errs.NotFound},
	}
	for _, tc := range tests {
		// AddSecretVersion and DeleteSecret are not retried by the client,
		// so each injected failure comes straight back.
		f.setFail("DeleteSecret", tc.code)
		err := s.Delete(ctx, "acme", "k")
		if tc.code == codes.NotFound {
			if err != nil {
				t.Errorf("Delete with NotFound: %v, want nil", err)
			}
		} else if errs.KindOf(err) != tc.want {
			t.Errorf("Delete with %v: %v (kind %v), want %v", tc.code, err, errs.KindOf(err), tc.want)
		}
		f.setFail("DeleteSecret", codes.OK)

		if tc.code == codes.NotFound {
			continue // NotFound on AddSecretVersion means "create the secret"
		}
		f.setFail("AddSecretVersion", tc.code)
		err = s.Put(ctx, "acme", "k", []byte("value-123"))
		if errs.KindOf(err) != tc.want {
			t.Errorf("Put with %v: %v (kind %v), want %v", tc.code, err, errs.KindOf(err), tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "value-123") {
			t.Errorf("error reveals the value: %v", err)
		}
		f.setFail("AddSecretVersion", codes.OK)
	}
	f.setFail("AccessSecretVersion", codes.PermissionDenied)
	if _, err := s.Get(ctx, "acme", "k"); errs.KindOf(err) != errs.Permission {
		t.Errorf("Get with PermissionDenied: %v, want permission", err)
	}
}

func TestOpenURLInvalid(t *testing.T) {
	for _, u := range []string{
		"secretmanager://",
		"secretmanager://Bad_Project",
		"secretmanager://proj-123/extra",
		"secretmanager://proj-123?bogus=1",
	} {
		s, err := secrets.Open(t.Context(), u)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if errs.KindOf(err) != errs.Invalid {
			t.Errorf("Open(%q): %v, want invalid", u, err)
		}
	}
}
