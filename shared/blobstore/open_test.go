package blobstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func TestOpenFileRelativeCreatesDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, u := range []string{"file://./var/drop", "file:var/staging"} {
		b, err := blobstore.Open(t.Context(), u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		if err := blobstore.WriteAll(t.Context(), b, "acme/orders.csv", []byte("id\n1\n"), "text/csv"); err != nil {
			t.Fatalf("write: %v", err)
		}
		b.Close()
	}
	for _, p := range []string{"var/drop/acme/orders.csv", "var/staging/acme/orders.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || string(data) != "id\n1\n" {
			t.Errorf("%s: %q, %v", p, data, err)
		}
	}
}

func TestOpenFileAbsolute(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	b, err := blobstore.Open(t.Context(), "file://"+dir+"?no_tmp_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := blobstore.WriteAll(t.Context(), b, "k.txt", []byte("v"), ""); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "k.txt")); err != nil || string(data) != "v" {
		t.Errorf("file content %q, %v", data, err)
	}
}

func TestOpenInvalid(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"ftp://host/x",
		"nothing",
		"://bad",
		"file://" + file,
		"file://" + t.TempDir() + "?bogus=1",
		"mem://?x=1",
		"gs://",
		"gs://b?endpoint=http://127.0.0.1:1&grpc=true",
		"s3://",
		"s3://b?nonsense=1",
		"azblob://c?nonsense=1",
	} {
		b, err := blobstore.Open(t.Context(), u)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		if errs.KindOf(err) != errs.Invalid {
			t.Errorf("Open(%q) error %v has kind %v, want invalid", u, err, errs.KindOf(err))
		}
	}
}

func TestOpenFilePermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	parent := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(parent, 0o500); err != nil {
		t.Fatal(err)
	}
	_, err := blobstore.Open(t.Context(), "file://"+parent+"/child")
	if errs.KindOf(err) != errs.Permission {
		t.Errorf("open under read-only dir: %v (kind %v), want permission", err, errs.KindOf(err))
	}
}
