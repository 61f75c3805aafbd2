package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/b2brecs/b2brecs/shared/api"
	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/blobstore/blobtest"
	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/platform"
	"github.com/b2brecs/b2brecs/shared/tenancy"
)

// ticket is the answer of POST /api/uploads.
type ticket struct {
	Mode      string            `json:"mode"`
	Resumable bool              `json:"resumable"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Field     string            `json:"field"`
	Headers   map[string]string `json:"headers"`
	Expires   time.Time         `json:"expires"`
	MaxBytes  int64             `json:"max_bytes"`
	Object    struct {
		Bucket string `json:"bucket"`
		Name   string `json:"name"`
		Size   int64  `json:"size"`
	} `json:"object"`
}

// serve sends a request with a bearer token to h.
func serve(h http.Handler, token, method, path string, body io.Reader, contentType string) response {
	req := httptest.NewRequest(method, path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// handlerWith is the fixture's API with other upload settings and
// resources (the fixture's users, tokens and services).
func (f *fixture) handlerWith(up drops.Settings, res *platform.Resources) http.Handler {
	if res == nil {
		res = f.p.Resources
	}
	d := f.p.APIDeps()
	d.Drops, d.Logger = drops.New(res, up, nil), slog.New(slog.DiscardHandler)
	return api.New(d)
}

// The ticket route checks the file before any byte moves, in both modes.
func TestUploadTicketValidation(t *testing.T) {
	f := newFixture(t)
	h := f.handlerWith(drops.Settings{MaxBytes: 1000}, nil)
	editor := f.tokens[tenancy.RoleEditor]
	cases := []struct {
		name, body  string
		status      int
		kind, field string
		msg         string
	}{
		{"traversal", `{"name":"../x.csv","size":10}`, 400, "invalid", "name", "without folders"},
		{"folder", `{"name":"in/x.csv","size":10}`, 400, "invalid", "name", "without folders"},
		{"dot dot", `{"name":"..","size":10}`, 400, "invalid", "name", ".."},
		{"backslash", `{"name":"..\\x.csv","size":10}`, 400, "invalid", "name", "backslashes"},
		{"absolute", `{"name":"/etc/x.csv","size":10}`, 400, "invalid", "name", "without folders"},
		{"control character", `{"name":"a\u0000.csv","size":10}`, 400, "invalid", "name", "control characters"},
		{"empty name", `{"name":"","size":10}`, 400, "invalid", "name", "give the name"},
		{"no size", `{"name":"x.csv"}`, 400, "invalid", "size", "size of x.csv"},
		{"negative size", `{"name":"x.csv","size":-1}`, 400, "invalid", "size", "negative"},
		{"too big", `{"name":"big.csv","size":1001}`, 413, "invalid", "size", "big.csv is 1001 bytes, larger than this deployment accepts (at most 1000 bytes)"},
		{"unsupported type", `{"name":"book.xlsx","size":10}`, 422, "unsupported", "name", "book.xlsx cannot be loaded: upload CSV"},
		{"unknown field", `{"name":"x.csv","size":10,"bucket":"other-drop"}`, 400, "invalid", "bucket", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := serve(h, editor, "POST", "/api/uploads", strings.NewReader(c.body), "application/json")
			var body struct {
				Error struct{ Kind, Message, Field string } `json:"error"`
			}
			r.json(t, &body)
			if r.status != c.status || body.Error.Kind != c.kind || body.Error.Field != c.field || !strings.Contains(body.Error.Message, c.msg) {
				t.Errorf("= %d %s, want %d %s field %q mentioning %q", r.status, r.body, c.status, c.kind, c.field, c.msg)
			}
			if strings.Contains(body.Error.Message, "blobstore") || strings.Contains(body.Error.Message, "api:") {
				t.Errorf("the message shows internals: %q", body.Error.Message)
			}
		})
	}
	if r := serve(h, f.tokens[tenancy.RoleViewer], "POST", "/api/uploads", strings.NewReader(`{"name":"x.csv","size":1}`), "application/json"); r.status != 403 {
		t.Errorf("a viewer's ticket = %d %s, want 403", r.status, r.body)
	}
}

// Local platform: the ticket sends the browser to the direct upload.
func TestUploadTicketDirect(t *testing.T) {
	f := newFixture(t)
	r := f.postJSON(tenancy.RoleEditor, "/api/uploads", `{"name":"Orders 2026.csv","size":12,"content_type":"text/csv"}`)
	if r.status != 200 {
		t.Fatalf("ticket = %d %s", r.status, r.body)
	}
	var tk ticket
	r.json(t, &tk)
	if tk.Mode != "direct" || tk.Method != "POST" || tk.URL != "/api/files" || tk.Field != "file" || tk.MaxBytes != drops.DefaultMaxBytes {
		t.Errorf("ticket = %+v, want a direct upload to POST /api/files field file, limit %d", tk, drops.DefaultMaxBytes)
	}
	if tk.Object.Bucket != f.tenant.ID+"-drop" || tk.Object.Name != "Orders 2026.csv" || tk.Object.Size != 12 {
		t.Errorf("object = %+v", tk.Object)
	}
	if tk.Headers != nil || tk.Resumable {
		t.Errorf("a direct ticket carries signing details: %s", r.body)
	}
}

// cloudFixture is the fixture's API in signed mode, its drop buckets
// ("{tenant}-drop") in fake-gcs-server, signing with a test key.
type cloudFixture struct {
	*fixture
	h      http.Handler
	res    *platform.Resources
	key    *blobtest.SigningKey
	client *http.Client // the browser: Cloud Storage's endpoint played by the fake behind a V4 check
	fake   *fakestorage.Server
}

func newCloudFixture(t *testing.T, maxBytes int64, signing bool) *cloudFixture {
	t.Helper()
	f := newFixture(t)
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	key := blobtest.NewSigningKey(t)
	cfg := f.p.Config
	cfg.DropURL = "gs://{tenant}-drop?endpoint=" + url.QueryEscape(srv.URL())
	if signing {
		cfg.DropURL += "&access_id=" + url.QueryEscape(key.Email) + "&private_key_path=" + url.QueryEscape(key.PEMPath)
	}
	res := platform.NewResources(cfg)
	t.Cleanup(func() { _ = res.Close() })
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: f.tenant.ID + "-drop"})
	fake, _ := url.Parse(srv.URL())
	return &cloudFixture{
		fixture: f, res: res, key: key, fake: srv,
		h:      f.handlerWith(drops.Settings{Mode: drops.ModeSigned, MaxBytes: maxBytes}, res),
		client: &http.Client{Transport: &blobtest.SignedGCSTransport{Fake: fake, Pub: &key.Key.PublicKey}},
	}
}

func (c *cloudFixture) ticket(t *testing.T, token, name string, size int64) ticket {
	t.Helper()
	r := serve(c.h, token, "POST", "/api/uploads", strings.NewReader(fmt.Sprintf(`{"name":%q,"size":%d}`, name, size)), "application/json")
	if r.status != 200 {
		t.Fatalf("ticket for %s = %d %s", name, r.status, r.body)
	}
	var tk ticket
	r.json(t, &tk)
	return tk
}

// upload does what the web app does with a signed ticket: start the
// session, then PUT the bytes to the session URI.
func (c *cloudFixture) upload(t *testing.T, tk ticket, content []byte) {
	t.Helper()
	start, _ := http.NewRequest(tk.Method, tk.URL, nil)
	for k, v := range tk.Headers {
		start.Header.Set(k, v)
	}
	resp, err := c.client.Do(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	session := resp.Header.Get("Location")
	if resp.StatusCode/100 != 2 || session == "" {
		t.Fatalf("session start = %s (Location %q)", resp.Status, session)
	}
	put, _ := http.NewRequest(http.MethodPut, session, bytes.NewReader(content))
	put.Header.Set("Content-Type", tk.Headers["content-type"])
	resp, err = c.client.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 201 {
		t.Fatalf("PUT the bytes = %s", resp.Status)
	}
}

// Cloud: the ticket is a V4 signed resumable upload straight into the
// caller's own drop bucket, and a browser's upload through it lands there.
func TestUploadTicketSignedFakeGCS(t *testing.T) {
	const max = 5 << 20
	c := newCloudFixture(t, max, true)
	before := time.Now()
	tk := c.ticket(t, c.tokens[tenancy.RoleEditor], "orders.csv", 16)

	if tk.Mode != "signed" || !tk.Resumable || tk.Method != "POST" || tk.MaxBytes != max {
		t.Errorf("ticket = %+v, want a signed resumable POST with limit %d", tk, max)
	}
	u, err := url.Parse(tk.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != blobtest.PublicHost || u.Path != "/"+c.tenant.ID+"-drop/orders.csv" {
		t.Errorf("URL %s, want https://%s/%s-drop/orders.csv", tk.URL, blobtest.PublicHost, c.tenant.ID)
	}
	if q := u.Query(); q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" || q.Get("X-Goog-Expires") != "900" ||
		!strings.HasPrefix(q.Get("X-Goog-Credential"), c.key.Email+"/") {
		t.Errorf("URL query %v, want a V4 signature by %s valid 900 s", q, c.key.Email)
	}
	want := map[string]string{"content-type": "text/csv", "x-goog-resumable": "start", "x-goog-content-length-range": fmt.Sprintf("0,%d", max)}
	if fmt.Sprint(tk.Headers) != fmt.Sprint(want) {
		t.Errorf("headers = %v, want %v", tk.Headers, want)
	}
	if d := tk.Expires.Sub(before); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("expires in %v, want 15m", d)
	}
	if tk.Object.Bucket != c.tenant.ID+"-drop" || tk.Object.Name != "orders.csv" || tk.Object.Size != 16 {
		t.Errorf("object = %+v", tk.Object)
	}

	content := []byte("id,qty\n1,2\n3,44\n")
	c.upload(t, tk, content)
	b, err := c.res.Bucket(t.Context(), c.tenant.ID, etl.BucketDrop)
	if err != nil {
		t.Fatal(err)
	}
	got, err := blobstore.ReadAll(t.Context(), b, "orders.csv")
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("drop bucket has %q, %v; want the uploaded bytes", got, err)
	}
	// Nothing went through the API's own storage.
	if _, err := os.Stat(filepath.Join(c.dropDir(), "orders.csv")); err == nil {
		t.Errorf("the file was also written to the local drop folder")
	}
}

// Each tenant's ticket names its own drop bucket only.
func TestUploadTicketTenantIsolation(t *testing.T) {
	c := newCloudFixture(t, 1<<20, true)
	ctx := context.Background()
	other, err := c.p.Tenancy.CreateTenant(ctx, "Globex")
	if err != nil {
		t.Fatal(err)
	}
	c.fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: other.ID + "-drop"})
	editor, err := c.p.Tenancy.CreateUser(ctx, other.ID, tenancy.NewUser{Email: "editor@globex.test", Name: "G", Password: "a-long-password-9", Role: tenancy.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	otherToken, _, err := c.p.Sessions.IssueFor(editor)
	if err != nil {
		t.Fatal(err)
	}

	mine := c.ticket(t, c.tokens[tenancy.RoleEditor], "orders.csv", 5)
	theirs := c.ticket(t, otherToken, "orders.csv", 6)
	if mine.Object.Bucket != c.tenant.ID+"-drop" || theirs.Object.Bucket != other.ID+"-drop" {
		t.Fatalf("buckets %q and %q, want each tenant's own", mine.Object.Bucket, theirs.Object.Bucket)
	}
	if !strings.Contains(mine.URL, "/"+c.tenant.ID+"-drop/") || strings.Contains(mine.URL, other.ID) ||
		!strings.Contains(theirs.URL, "/"+other.ID+"-drop/") || strings.Contains(theirs.URL, c.tenant.ID) {
		t.Errorf("URLs %s and %s do not each name only their tenant's bucket", mine.URL, theirs.URL)
	}
	c.upload(t, mine, []byte("a\n1\n"))
	c.upload(t, theirs, []byte("b\n22\n"))
	for tenant, want := range map[string]string{c.tenant.ID: "a\n1\n", other.ID: "b\n22\n"} {
		b, err := c.res.Bucket(ctx, tenant, etl.BucketDrop)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := blobstore.ReadAll(ctx, b, "orders.csv"); err != nil || string(got) != want {
			t.Errorf("tenant %s's orders.csv = %q, %v; want %q", tenant, got, err, want)
		}
	}
	// A ticket's URL cannot be pointed at the other tenant's bucket: the
	// path is signed.
	start, _ := http.NewRequest(mine.Method, strings.Replace(mine.URL, c.tenant.ID+"-drop", other.ID+"-drop", 1), nil)
	for k, v := range mine.Headers {
		start.Header.Set(k, v)
	}
	resp, err := c.client.Do(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a ticket re-pointed at another tenant's bucket = %s, want 403", resp.Status)
	}
}

// A deployment whose drop bucket cannot sign answers an internal error
// with a message for the administrator, not a broken link.
func TestUploadTicketSignedWithoutSigner(t *testing.T) {
	c := newCloudFixture(t, 1<<20, false)
	r := serve(c.h, c.tokens[tenancy.RoleEditor], "POST", "/api/uploads", strings.NewReader(`{"name":"orders.csv","size":5}`), "application/json")
	kind, msg := r.errorOf(t)
	if r.status != 500 || kind != "unknown" || !strings.Contains(msg, "not set up") || !strings.Contains(msg, "administrator") {
		t.Errorf("= %d %s, want 500 internal saying uploads are not set up", r.status, r.body)
	}
}

// Local platform: a direct upload over the limit is refused with 413 and
// nothing is stored; in signed mode the direct route is not offered.
func TestDirectUploadLimit(t *testing.T) {
	f := newFixture(t)
	h := f.handlerWith(drops.Settings{MaxBytes: 100}, nil)
	editor := f.tokens[tenancy.RoleEditor]

	body, ct := multipartBody(t, [3]string{"file", "ok.csv", strings.Repeat("x", 100)})
	if r := serve(h, editor, "POST", "/api/files", body, ct); r.status != 202 {
		t.Errorf("an upload of exactly the limit = %d %s, want 202", r.status, r.body)
	}
	body, ct = multipartBody(t, [3]string{"file", "big.csv", strings.Repeat("x", 101)})
	r := serve(h, editor, "POST", "/api/files", body, ct)
	kind, msg := r.errorOf(t)
	if r.status != http.StatusRequestEntityTooLarge || kind != "invalid" || !strings.Contains(msg, "big.csv") || !strings.Contains(msg, "100 bytes") {
		t.Errorf("an upload over the limit = %d %s, want 413 naming the file and the limit", r.status, r.body)
	}
	// A body far over the limit is refused from its length, unread.
	huge := strings.NewReader(strings.Repeat("y", 10<<20))
	if r := serve(h, editor, "POST", "/api/files", huge, "multipart/form-data; boundary=zzz"); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 10 MiB body = %d %s, want 413", r.status, r.body)
	}
	var stored []string
	_ = filepath.WalkDir(f.dropDir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stored = append(stored, d.Name())
		}
		return nil
	})
	if len(stored) != 1 || stored[0] != "ok.csv" {
		t.Errorf("drop folder holds %v, want only ok.csv", stored)
	}

	signed := f.handlerWith(drops.Settings{Mode: drops.ModeSigned}, nil)
	body, ct = multipartBody(t, [3]string{"file", "x.csv", "a\n1\n"})
	r = serve(signed, editor, "POST", "/api/files", body, ct)
	if kind, msg := r.errorOf(t); r.status != http.StatusNotImplemented || kind != "unsupported" || !strings.Contains(msg, "/api/uploads") {
		t.Errorf("a direct upload in signed mode = %d %s, want 501 pointing at /api/uploads", r.status, r.body)
	}
}

// The ticket's JSON is what docs/api.md documents.
func TestUploadTicketJSONKeys(t *testing.T) {
	c := newCloudFixture(t, 1<<20, true)
	r := serve(c.h, c.tokens[tenancy.RoleEditor], "POST", "/api/uploads", strings.NewReader(`{"name":"a.jsonl","size":3}`), "application/json")
	var raw map[string]json.RawMessage
	r.json(t, &raw)
	for _, k := range []string{"mode", "resumable", "method", "url", "headers", "expires", "max_bytes", "object"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("signed ticket lacks %q: %s", k, r.body)
		}
	}
	if len(raw) != 8 {
		t.Errorf("signed ticket has %d keys, want 8: %s", len(raw), r.body)
	}
}
