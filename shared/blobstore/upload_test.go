package blobstore_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"gocloud.dev/blob"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/blobstore/blobtest"
	"github.com/b2brecs/b2brecs/shared/blobstore/gcsbucket"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// fakeIAMServer is an in-process IAM Credentials API (no emulator exists):
// it records the signBlob requests and signs with a test key, so the URLs
// it signs verify against that key's public half.
type fakeIAMServer struct {
	credentialspb.UnimplementedIAMCredentialsServer
	key  *blobtest.SigningKey
	deny bool

	mu    sync.Mutex
	names []string
}

func (f *fakeIAMServer) SignBlob(_ context.Context, req *credentialspb.SignBlobRequest) (*credentialspb.SignBlobResponse, error) {
	f.mu.Lock()
	f.names = append(f.names, req.GetName())
	f.mu.Unlock()
	if f.deny {
		return nil, status.Error(codes.PermissionDenied, "Permission 'iam.serviceAccounts.signBlob' denied")
	}
	sig, err := f.key.Sign(req.GetPayload())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &credentialspb.SignBlobResponse{KeyId: "test-key", SignedBlob: sig}, nil
}

func (f *fakeIAMServer) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.names...)
}

func startFakeIAM(t *testing.T, f *fakeIAMServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	credentialspb.RegisterIAMCredentialsServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// checkUploadShape checks a signed resumable start against what Cloud
// Storage expects and verifies its signature with key.
func checkUploadShape(t *testing.T, up *blobstore.SignedUpload, key *blobtest.SigningKey, bucket, objectPath, contentType string, maxBytes int64, expiry time.Duration) {
	t.Helper()
	if up.Method != http.MethodPost {
		t.Errorf("method = %q, want POST (a resumable session start)", up.Method)
	}
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != blobtest.PublicHost || u.EscapedPath() != "/"+bucket+"/"+objectPath {
		t.Errorf("URL = %s, want https://%s/%s/%s?...", up.URL, blobtest.PublicHost, bucket, objectPath)
	}
	q := u.Query()
	wantQuery := map[string]string{
		"X-Goog-Algorithm":     "GOOG4-RSA-SHA256",
		"X-Goog-Expires":       strconv.Itoa(int(expiry / time.Second)),
		"X-Goog-SignedHeaders": "content-type;host;x-goog-content-length-range;x-goog-resumable",
	}
	if maxBytes == 0 {
		wantQuery["X-Goog-SignedHeaders"] = "content-type;host;x-goog-resumable"
	}
	for k, v := range wantQuery {
		if got := q.Get(k); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	if c := q.Get("X-Goog-Credential"); !strings.HasPrefix(c, key.Email+"/") || !strings.HasSuffix(c, "/auto/storage/goog4_request") {
		t.Errorf("X-Goog-Credential = %q, want %s/DATE/auto/storage/goog4_request", c, key.Email)
	}
	if q.Get("X-Goog-Signature") == "" || q.Get("X-Goog-Date") == "" {
		t.Errorf("URL lacks X-Goog-Signature or X-Goog-Date: %s", up.URL)
	}
	wantHeaders := map[string]string{"content-type": contentType, "x-goog-resumable": "start"}
	if maxBytes > 0 {
		wantHeaders["x-goog-content-length-range"] = "0," + itoa(maxBytes)
	}
	if len(up.Headers) != len(wantHeaders) {
		t.Errorf("headers = %v, want %v", up.Headers, wantHeaders)
	}
	for k, v := range wantHeaders {
		if up.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, up.Headers[k], v)
		}
	}
	if d := time.Until(up.Expires); d < expiry-time.Minute || d > expiry+time.Second {
		t.Errorf("expires in %v, want about %v", d, expiry)
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Goog-Date"))
	if err == nil && !signedAt.Add(expiry).Equal(up.Expires) {
		t.Errorf("Expires = %v, but the signature allows until %v", up.Expires, signedAt.Add(expiry))
	}
	req := startRequest(t, up)
	if err := blobtest.VerifyV4(req, &key.Key.PublicKey, time.Now()); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	// The same URL used as a PUT (a one-shot upload), or without the
	// resumable header, or with another content type, is refused.
	tampered := []func(r *http.Request){
		func(r *http.Request) { r.Method = http.MethodPut },
		func(r *http.Request) { r.Header.Del("x-goog-resumable") },
		func(r *http.Request) { r.Header.Set("Content-Type", "text/html") },
		func(r *http.Request) { r.URL.Path = "/" + bucket + "/other.csv"; r.URL.RawPath = "" },
	}
	if maxBytes > 0 {
		tampered = append(tampered, func(r *http.Request) { r.Header.Set("x-goog-content-length-range", "0,99999999999") })
	}
	for i, tamper := range tampered {
		r := startRequest(t, up)
		tamper(r)
		if err := blobtest.VerifyV4(r, &key.Key.PublicKey, time.Now()); err == nil {
			t.Errorf("tampered request %d verifies", i)
		}
	}
	if err := blobtest.VerifyV4(startRequest(t, up), &key.Key.PublicKey, up.Expires.Add(time.Second)); err == nil {
		t.Errorf("the URL still verifies after it expired")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// startRequest is the session start a client makes with up.
func startRequest(t *testing.T, up *blobstore.SignedUpload) *http.Request {
	t.Helper()
	req, err := http.NewRequest(up.Method, up.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	return req
}

func TestSignResumableUploadPrivateKey(t *testing.T) {
	srv, newBucket := newFakeGCS(t)
	key := blobtest.NewSigningKey(t)
	name := newBucket()
	b := mustOpen(t, "gs://"+name+"?endpoint="+url.QueryEscape(srv.URL())+"&access_id="+url.QueryEscape(key.Email)+"&private_key_path="+url.QueryEscape(key.PEMPath))
	defer b.Close()

	cases := []struct {
		name, key, path, ct string
		max                 int64
		expiry              time.Duration
	}{
		{"default expiry", "orders.csv", "orders.csv", "text/csv", 1 << 30, 0},
		{"awkward name", "Report [1] é.csv", "Report%20%5B1%5D%20%C3%A9.csv", "text/csv", 5, time.Hour},
		{"no size limit, default type", "in/x.parquet", "in/x.parquet", "", 0, 2 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, err := blobstore.SignResumableUpload(t.Context(), b, c.key, blobstore.SignedUploadOptions{ContentType: c.ct, MaxBytes: c.max, Expiry: c.expiry})
			if err != nil {
				t.Fatal(err)
			}
			ct, expiry := c.ct, c.expiry
			if ct == "" {
				ct = "application/octet-stream"
			}
			if expiry == 0 {
				expiry = blobstore.DefaultUploadURLExpiry
			}
			checkUploadShape(t, up, key, name, c.path, ct, c.max, expiry)
		})
	}
}

// The function's identity signs through the IAM Credentials API (no key
// file on Cloud Functions), on real Cloud Storage and on the emulator.
func TestSignResumableUploadIAMSignBlobFakeServer(t *testing.T) {
	key := blobtest.NewSigningKey(t)
	iam := &fakeIAMServer{key: key}
	addr := startFakeIAM(t, iam)
	srv, newBucket := newFakeGCS(t)

	// Real Cloud Storage with default credentials from a key file: opening
	// and signing make no call to Google.
	creds := map[string]string{
		"type": "service_account", "project_id": "test-project", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, key)})),
		"client_email": "runtime@test-project.iam.gserviceaccount.com", "client_id": "1",
		"token_uri": "http://127.0.0.1:1/token",
	}
	credsFile := filepath.Join(t.TempDir(), "creds.json")
	data, _ := json.Marshal(creds)
	if err := os.WriteFile(credsFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", credsFile)
	t.Setenv(gcsbucket.EmulatorHostEnv, "")

	emu := newBucket()
	for _, tc := range []struct{ name, url, bucket string }{
		{"real", "gs://tenant-drop?access_id=" + url.QueryEscape(key.Email) + "&iam_endpoint=" + addr, "tenant-drop"},
		{"emulator", "gs://" + emu + "?endpoint=" + url.QueryEscape(srv.URL()) + "&access_id=" + url.QueryEscape(key.Email) + "&iam_endpoint=" + addr, emu},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustOpen(t, tc.url)
			defer b.Close()
			before := len(iam.calls())
			up, err := blobstore.SignResumableUpload(t.Context(), b, "orders.csv", blobstore.SignedUploadOptions{ContentType: "text/csv", MaxBytes: 100})
			if err != nil {
				t.Fatal(err)
			}
			checkUploadShape(t, up, key, tc.bucket, "orders.csv", "text/csv", 100, blobstore.DefaultUploadURLExpiry)
			calls := iam.calls()[before:]
			if len(calls) != 1 || calls[0] != "projects/-/serviceAccounts/"+key.Email {
				t.Errorf("signBlob calls = %q, want one for projects/-/serviceAccounts/%s", calls, key.Email)
			}
		})
	}

	t.Run("denied", func(t *testing.T) {
		deny := &fakeIAMServer{key: key, deny: true}
		b := mustOpen(t, "gs://tenant-drop?access_id="+url.QueryEscape(key.Email)+"&iam_endpoint="+startFakeIAM(t, deny))
		defer b.Close()
		_, err := blobstore.SignResumableUpload(t.Context(), b, "orders.csv", blobstore.SignedUploadOptions{})
		if errs.KindOf(err) != errs.Permission || !strings.Contains(err.Error(), "signBlob") {
			t.Errorf("signing denied by IAM: %v (kind %v), want permission naming signBlob", err, errs.KindOf(err))
		}
	})
}

func mustPKCS8(t *testing.T, k *blobtest.SigningKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSignResumableUploadRefused(t *testing.T) {
	srv, newBucket := newFakeGCS(t)
	key := blobtest.NewSigningKey(t)
	signing := mustOpen(t, "gs://"+newBucket()+"?endpoint="+url.QueryEscape(srv.URL())+"&access_id="+url.QueryEscape(key.Email)+"&private_key_path="+url.QueryEscape(key.PEMPath))
	defer signing.Close()
	noSigner := mustOpen(t, "gs://"+newBucket()+"?endpoint="+url.QueryEscape(srv.URL()))
	defer noSigner.Close()
	file := mustOpen(t, "file://"+t.TempDir())
	defer file.Close()
	mem := mustOpen(t, "mem://")
	defer mem.Close()

	cases := []struct {
		name    string
		b       *blob.Bucket
		key     string
		opts    blobstore.SignedUploadOptions
		kind    errs.Kind
		message string
	}{
		{"folder bucket", file, "x.csv", blobstore.SignedUploadOptions{}, errs.Unsupported, "only Cloud Storage"},
		{"memory bucket", mem, "x.csv", blobstore.SignedUploadOptions{}, errs.Unsupported, "only Cloud Storage"},
		{"gs without a signer", noSigner, "x.csv", blobstore.SignedUploadOptions{}, errs.Unsupported, "access_id"},
		{"traversal", signing, "../x.csv", blobstore.SignedUploadOptions{}, errs.Invalid, ".."},
		{"empty name", signing, "", blobstore.SignedUploadOptions{}, errs.Invalid, "empty"},
		{"folder", signing, "in/", blobstore.SignedUploadOptions{}, errs.Invalid, "folder"},
		{"expiry over a week", signing, "x.csv", blobstore.SignedUploadOptions{Expiry: 8 * 24 * time.Hour}, errs.Invalid, "expiry"},
		{"negative limit", signing, "x.csv", blobstore.SignedUploadOptions{MaxBytes: -1}, errs.Invalid, "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, err := blobstore.SignResumableUpload(t.Context(), c.b, c.key, c.opts)
			if err == nil {
				t.Fatalf("signed %+v, want an error", up)
			}
			if errs.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %v (kind %v), want %v mentioning %q", err, errs.KindOf(err), c.kind, c.message)
			}
		})
	}
}

func TestOpenGCSSigningParameters(t *testing.T) {
	key := blobtest.NewSigningKey(t)
	notKey := filepath.Join(t.TempDir(), "not-a-key.pem")
	if err := os.WriteFile(notKey, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	ep := "endpoint=http://127.0.0.1:1&"
	for _, u := range []string{
		"gs://b?" + ep + "private_key_path=" + key.PEMPath,
		"gs://b?" + ep + "iam_endpoint=127.0.0.1:1",
		"gs://b?" + ep + "access_id=a@b&private_key_path=" + key.PEMPath + "&iam_endpoint=127.0.0.1:1",
		"gs://b?" + ep + "access_id=a@b&private_key_path=" + notKey,
		"gs://b?" + ep + "access_id=a@b&private_key_path=/nonexistent/key.pem",
		"gs://b?" + ep + "access_id=a@b&bogus=1",
	} {
		b, err := blobstore.Open(t.Context(), u)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		if errs.KindOf(err) != errs.Invalid {
			t.Errorf("Open(%q): %v has kind %v, want invalid", u, err, errs.KindOf(err))
		}
	}
}

// A browser's upload, end to end: the signed URL starts a resumable
// session, the bytes go to the session URI, and the object lands in the
// bucket under the signed name. fake-gcs-server does not check signatures,
// so blobtest.SignedGCSTransport checks them in front of it.
func TestSignedResumableUploadEndToEndFakeGCS(t *testing.T) {
	srv, newBucket := newFakeGCS(t)
	key := blobtest.NewSigningKey(t)
	name := newBucket()
	b := mustOpen(t, "gs://"+name+"?endpoint="+url.QueryEscape(srv.URL())+"&access_id="+url.QueryEscape(key.Email)+"&private_key_path="+url.QueryEscape(key.PEMPath))
	defer b.Close()
	fake, _ := url.Parse(srv.URL())
	client := &http.Client{Transport: &blobtest.SignedGCSTransport{Fake: fake, Pub: &key.Key.PublicKey}}

	content := bytes.Repeat([]byte("id,name\n1,Widget\n"), 20000) // 340 KB
	up, err := blobstore.SignResumableUpload(t.Context(), b, "in/orders 2026.csv", blobstore.SignedUploadOptions{ContentType: "text/csv", MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}

	// A start that does not send the signed headers is refused.
	bad, _ := http.NewRequest(up.Method, up.URL, nil)
	bad.Header.Set("Content-Type", "text/csv")
	if resp, err := client.Do(bad); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("start without x-goog-resumable = %v, %v; want 403", resp, err)
	}

	resp, err := client.Do(startRequest(t, up))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	session := resp.Header.Get("Location")
	if resp.StatusCode/100 != 2 || session == "" {
		t.Fatalf("session start = %s, Location %q", resp.Status, session)
	}
	// The bytes in two chunks, as a browser resuming after a break does.
	half := 256 * 1024
	for _, part := range []struct {
		from, to int
		want     int
	}{{0, half, http.StatusPermanentRedirect}, {half, len(content), http.StatusOK}} {
		req, _ := http.NewRequest(http.MethodPut, session, bytes.NewReader(content[part.from:part.to]))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Content-Range", "bytes "+itoa(int64(part.from))+"-"+itoa(int64(part.to-1))+"/"+itoa(int64(len(content))))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != part.want {
			t.Fatalf("PUT bytes %d-%d = %s, want %d", part.from, part.to-1, resp.Status, part.want)
		}
	}
	got, err := blobstore.ReadAll(t.Context(), b, "in/orders 2026.csv")
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("object = %d bytes, %v; want the %d uploaded bytes", len(got), err, len(content))
	}
	attrs, err := b.Attributes(t.Context(), "in/orders 2026.csv")
	if err != nil || attrs.ContentType != "text/csv" {
		t.Errorf("content type = %v, %v; want text/csv", attrs, err)
	}
}
