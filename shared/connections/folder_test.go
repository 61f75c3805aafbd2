package connections_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2brecs/b2brecs/shared/connections"
	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/errs"
)

func fileConn(name, dir string) connections.NewConnection {
	return connections.NewConnection{Fields: connections.Fields{Name: name, Type: connections.GCS, BucketURL: "file://" + filepath.ToSlash(dir)}}
}

// TestFileConnectionsConfined: a file:// connection reads only folders
// under the tenant's import folders. Other folders of the server (/etc),
// another tenant's folders, ".." and symbolic links that lead out are
// refused when saving or, for links, when the folder or a file is opened.
func TestFileConnectionsConfined(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	mine := e.folder(t, tenantA, "exports")
	writeFile(t, mine, "orders.csv", "a\n1\n", time.Now())
	theirs := e.folder(t, tenantB, "private")
	writeFile(t, theirs, "secret.csv", "tenant B's data\n", time.Now())
	outside := t.TempDir()
	writeFile(t, outside, "server.csv", "server file\n", time.Now())

	// Links planted inside tenant A's folder.
	for link, target := range map[string]string{
		filepath.Join(e.imports, tenantA, "etc"):           "/etc",
		filepath.Join(e.imports, tenantA, "to-b"):          theirs,
		filepath.Join(e.imports, tenantA, "abs-exports"):   mine, // absolute: refused by os.Root even inside
		filepath.Join(mine, "passwd.csv"):                  "/etc/passwd",
		filepath.Join(mine, "b-secret.csv"):                filepath.Join(theirs, "secret.csv"),
		filepath.Join(mine, "outside"):                     outside,
		filepath.Join(mine, "same.csv"):                    "orders.csv", // relative, inside: fine
		filepath.Join(e.imports, tenantA, "exports-alias"): "exports",
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("refused when saving", func(t *testing.T) {
		root := filepath.Join(e.imports, tenantA)
		for name, dir := range map[string]string{
			"/etc":                 "/etc",
			"another tenant":       theirs,
			"dot-dot to B":         filepath.Join(e.imports, tenantA) + "/../" + tenantB + "/private",
			"the imports parent":   e.imports,
			"a folder elsewhere":   outside,
			"a relative folder":    "./" + tenantA,
			"the data dir sibling": filepath.Join(e.imports, tenantA+"-other"),
		} {
			in := fileConn("f "+name, dir)
			if strings.HasPrefix(dir, "./") {
				in.BucketURL = "file://" + dir
			}
			_, err := e.svc.Create(ctx, tenantA, in)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "connection: bucket_url:") || !strings.Contains(err.Error(), root) {
				t.Errorf("%s: %v, want invalid bucket_url naming %s", name, err, root)
			}
			if tr, err := e.svc.TestValues(ctx, tenantA, in); err == nil || tr.OK {
				t.Errorf("%s: TestValues %v %+v", name, err, tr)
			}
		}
	})

	t.Run("links out of the import folder", func(t *testing.T) {
		for _, dir := range []string{filepath.Join(e.imports, tenantA, "etc"), filepath.Join(e.imports, tenantA, "to-b"), filepath.Join(mine, "outside"),
			filepath.Join(e.imports, tenantA, "abs-exports")} {
			res, err := e.svc.Create(ctx, tenantA, fileConn("link "+filepath.Base(dir), dir))
			if err != nil {
				t.Fatalf("create %s: %v (lexically inside: saved, refused when opened)", dir, err)
			}
			id := res.Connection.ID
			tr, err := e.svc.Test(ctx, tenantA, id)
			if err != nil || tr.OK || !strings.Contains(tr.Message, "leads outside the import folders") || len(tr.Tables) != 0 {
				t.Errorf("Test of %s: %v %+v", dir, err, tr)
			}
			if _, err := e.svc.ListFiles(ctx, tenantA, id, "", ""); !errs.Is(err, errs.Permission) {
				t.Errorf("ListFiles of %s: %v, want permission", dir, err)
			}
			if _, _, err := e.svc.OpenBucket(ctx, tenantA, id); !errs.Is(err, errs.Permission) {
				t.Errorf("OpenBucket of %s: %v, want permission", dir, err)
			}
		}
	})

	t.Run("links inside the folder", func(t *testing.T) {
		res, err := e.svc.Create(ctx, tenantA, connections.NewConnection{Fields: fileConn("mine", mine).Fields, TestFirst: true})
		if err != nil {
			t.Fatal(err)
		}
		files, err := e.svc.ListFiles(ctx, tenantA, res.Connection.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Key)
		}
		if got := strings.Join(names, " "); got != "orders.csv same.csv" && got != "same.csv orders.csv" {
			t.Errorf("listed %q, want only orders.csv and same.csv (links out of the folder are not files of it)", got)
		}
		b, _, err := e.svc.OpenBucket(ctx, tenantA, res.Connection.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for _, key := range []string{"passwd.csv", "b-secret.csv", "outside/server.csv", "../../" + tenantB + "/private/secret.csv", "/etc/passwd"} {
			r, err := b.NewReader(ctx, key, nil)
			if err == nil {
				data, _ := io.ReadAll(r)
				r.Close()
				t.Errorf("read %s through the connection: %q", key, data)
			}
		}
		if data, err := b.ReadAll(ctx, "same.csv"); err != nil || string(data) != "a\n1\n" {
			t.Errorf("link inside the folder: %v %q", err, data)
		}
		if err := b.WriteAll(ctx, "new.csv", []byte("x"), nil); err == nil {
			t.Error("a connection's folder is writable")
		}
		// A link to a folder inside the import folder is fine.
		if _, err := e.svc.Create(ctx, tenantA, connections.NewConnection{Fields: fileConn("alias", filepath.Join(e.imports, tenantA, "exports-alias")).Fields, TestFirst: true}); err != nil {
			t.Errorf("link staying inside: %v", err)
		}
	})

	t.Run("cloud mode refuses local folders", func(t *testing.T) {
		cloud := cloudService(e)
		if _, err := cloud.Create(ctx, tenantA, fileConn("cloud", mine)); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "local folders are not allowed") {
			t.Errorf("create: %v", err)
		}
		// A file:// connection saved elsewhere (an older version, another
		// mode) is refused when opened.
		now := time.Now().UTC()
		c := connections.Connection{ID: "conn_legacyfolder", TenantID: tenantA, Enabled: true, CreatedAt: now, UpdatedAt: now,
			Fields: connections.Fields{Name: "legacy", Type: connections.GCS, BucketURL: "file:///etc"}}
		if _, err := docstore.Put(ctx, e.docs, docstore.Key{Tenant: tenantA, Kind: connections.Kind, ID: c.ID}, c, docstore.MustCreate); err != nil {
			t.Fatal(err)
		}
		for name, svc := range map[string]*connections.Service{"cloud": cloud, "local": e.svc} {
			if _, err := svc.ListFiles(ctx, tenantA, c.ID, "", ""); !errs.Is(err, errs.Permission) {
				t.Errorf("%s: ListFiles of a saved file:///etc: %v, want permission", name, err)
			}
			if tr, err := svc.Test(ctx, tenantA, c.ID); err != nil || tr.OK {
				t.Errorf("%s: Test of a saved file:///etc: %v %+v", name, err, tr)
			}
		}
	})
}
