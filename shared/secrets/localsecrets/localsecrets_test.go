package localsecrets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/secrets"
	"github.com/b2brecs/b2brecs/shared/secrets/localsecrets"
	"github.com/b2brecs/b2brecs/shared/secrets/secretstest"
)

func openDir(t *testing.T, dir string) *localsecrets.Store {
	t.Helper()
	s, err := localsecrets.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.Driver { return openDir(t, t.TempDir()) })
}

func TestConformanceURL(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.Driver {
		s, err := secrets.Open(t.Context(), "local://"+filepath.Join(t.TempDir(), "secrets"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenRelativeURL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := secrets.Open(t.Context(), "local://./var/secrets")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(t.Context(), "acme", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "var", "secrets", "acme", "k.secret")); err != nil {
		t.Errorf("secret file not under the relative folder: %v", err)
	}
	for _, bad := range []string{"local://", "local:///x?opt=1"} {
		if _, err := secrets.Open(t.Context(), bad); errs.KindOf(err) != errs.Invalid {
			t.Errorf("Open(%q): %v, want invalid", bad, err)
		}
	}
}

func TestKeyFileCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := openDir(t, dir)
	defer s.Close()
	fi, err := os.Stat(filepath.Join(dir, localsecrets.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Errorf("key file mode %v size %d, want 0600 and 32 bytes", fi.Mode().Perm(), fi.Size())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", di.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after open, want only the key", len(entries))
	}
}

func TestReopenKeepsSecrets(t *testing.T) {
	dir := t.TempDir()
	s := secrets.New(openDir(t, dir)) // the portable type refuses calls after Close
	if err := s.Put(t.Context(), "acme", "pg", []byte("pw")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Put(t.Context(), "acme", "pg", []byte("pw")); !errs.Is(err, errs.Invalid) {
		t.Errorf("Put on a closed store = %v, want invalid", err)
	}
	s2 := openDir(t, dir)
	defer s2.Close()
	if v, err := s2.Get(t.Context(), "acme", "pg"); err != nil || string(v) != "pw" {
		t.Errorf("after reopen: %q, %v", v, err)
	}
}

func TestKeyFilePermissionRefused(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir).Close()
	key := filepath.Join(dir, localsecrets.KeyFile)
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		if err := os.Chmod(key, mode); err != nil {
			t.Fatal(err)
		}
		_, err := localsecrets.Open(t.Context(), dir)
		if errs.KindOf(err) != errs.Permission || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("key mode %#o: %v (kind %v), want permission", mode, err, errs.KindOf(err))
		}
	}
	if err := os.Chmod(key, 0o400); err != nil {
		t.Fatal(err)
	}
	s, err := localsecrets.Open(t.Context(), dir)
	if err != nil {
		t.Errorf("key mode 0400: %v, want it accepted", err)
	} else {
		s.Close()
	}
}

func TestBadKeyFile(t *testing.T) {
	for _, size := range []int{0, 16, 31, 33, 64} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, localsecrets.KeyFile), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := localsecrets.Open(t.Context(), dir); errs.KindOf(err) != errs.Invalid {
			t.Errorf("key of %d bytes: %v, want invalid", size, err)
		}
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, localsecrets.KeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := localsecrets.Open(t.Context(), dir); errs.KindOf(err) != errs.Invalid {
		t.Errorf("key that is a folder: %v, want invalid", err)
	}
}

func TestVersionsEncryptedOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	defer s.Close()
	ctx := t.Context()
	values := []string{"first-Pa55word", "second-Pa55word", "first-Pa55word"}
	for _, v := range values {
		if err := s.Put(ctx, "acme", "pg", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Versions(ctx, "acme", "pg"); err != nil || n != 3 {
		t.Errorf("Versions = %d, %v; want 3", n, err)
	}
	path := filepath.Join(dir, "acme", "pg.secret")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Pa55word")) {
		t.Error("secret file holds the plaintext")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", fi.Mode().Perm())
	}
	var f struct {
		Versions []struct {
			Version    int
			Nonce      []byte
			Ciphertext []byte
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Versions) != 3 {
		t.Fatalf("file has %d versions", len(f.Versions))
	}
	for i, v := range f.Versions {
		if v.Version != i+1 || len(v.Nonce) != 12 {
			t.Errorf("version %d: number %d nonce %d bytes", i, v.Version, len(v.Nonce))
		}
	}
	// Same plaintext twice, different nonce and ciphertext.
	if bytes.Equal(f.Versions[0].Nonce, f.Versions[2].Nonce) || bytes.Equal(f.Versions[0].Ciphertext, f.Versions[2].Ciphertext) {
		t.Error("nonce reused across versions")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Join(dir, "acme"))
	if len(entries) != 1 {
		t.Errorf("tenant folder holds %d entries, want 1", len(entries))
	}
}

func TestCiphertextBoundToTenantAndName(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "acme", "pg", []byte("acme-secret")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "globex", "other", []byte("x")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "acme", "pg.secret"))
	if err != nil {
		t.Fatal(err)
	}
	// An attacker with write access to the folder copies acme's file into
	// globex's namespace, and under another name.
	for _, dst := range []string{"globex/pg.secret", "acme/pg2.secret"} {
		if err := os.WriteFile(filepath.Join(dir, dst), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range [][2]string{{"globex", "pg"}, {"acme", "pg2"}} {
		v, err := s.Get(ctx, c[0], c[1])
		if errs.KindOf(err) != errs.Permission || v != nil {
			t.Errorf("Get(%s, %s) of a moved file = %q, %v; want permission error", c[0], c[1], v, err)
		}
	}
	// A different master key cannot read the store.
	key := filepath.Join(dir, localsecrets.KeyFile)
	if err := os.WriteFile(key, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := openDir(t, dir)
	defer s2.Close()
	if _, err := s2.Get(ctx, "acme", "pg"); errs.KindOf(err) != errs.Permission {
		t.Errorf("Get with another key: %v, want permission", err)
	}
	// A corrupt file is reported, not decrypted.
	if err := os.WriteFile(filepath.Join(dir, "acme", "pg.secret"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Get(ctx, "acme", "pg"); errs.KindOf(err) != errs.Invalid {
		t.Errorf("Get of corrupt file: %v, want invalid", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	s := openDir(t, t.TempDir())
	defer s.Close()
	ctx := t.Context()
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.Put(ctx, "acme", "rotating", fmt.Appendf(nil, "v%d", i)); err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got, err := s.Versions(ctx, "acme", "rotating"); err != nil || got != n {
		t.Errorf("Versions = %d, %v; want %d (no lost update)", got, err, n)
	}
}

func TestConcurrentOpenOneKey(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	stores := make([]*localsecrets.Store, 8)
	for i := range stores {
		wg.Go(func() {
			s, err := localsecrets.Open(t.Context(), dir)
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if err := stores[0].Put(t.Context(), "acme", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		if v, err := s.Get(t.Context(), "acme", "k"); err != nil || string(v) != "v" {
			t.Errorf("store %d reads %q, %v: stores disagree on the key", i, v, err)
		}
	}
}
