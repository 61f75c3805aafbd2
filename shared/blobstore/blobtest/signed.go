package blobtest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SigningKey is a service account key for signing upload URLs in tests.
type SigningKey struct {
	Key *rsa.PrivateKey
	// PEMPath is the key as a PKCS #8 PEM file, for a gs:// URL's
	// private_key_path.
	PEMPath string
	// Email is the service account the key belongs to (access_id).
	Email string
}

// NewSigningKey makes a fresh RSA key and writes it to a temporary file.
func NewSigningKey(t testing.TB) *SigningKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "signer.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &SigningKey{Key: k, PEMPath: p, Email: "uploads@test-project.iam.gserviceaccount.com"}
}

// Sign signs p as the IAM Credentials API's signBlob does (RSA PKCS #1
// v1.5 over SHA-256).
func (k *SigningKey) Sign(p []byte) ([]byte, error) {
	sum := sha256.Sum256(p)
	return rsa.SignPKCS1v15(rand.Reader, k.Key, crypto.SHA256, sum[:])
}

// VerifyV4 checks req as Cloud Storage checks a request made with a V4
// signed URL (GOOG4-RSA-SHA256): the signature over the method, path,
// query and every signed header with the value req actually sends, made by
// pub; the credential scope; that now is inside the validity window; and
// that every x-goog-* header req sends is signed.
func VerifyV4(req *http.Request, pub *rsa.PublicKey, now time.Time) error {
	q := req.URL.Query()
	if a := q.Get("X-Goog-Algorithm"); a != "GOOG4-RSA-SHA256" {
		return fmt.Errorf("X-Goog-Algorithm = %q, want GOOG4-RSA-SHA256", a)
	}
	date := q.Get("X-Goog-Date")
	signedAt, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return fmt.Errorf("X-Goog-Date %q: %v", date, err)
	}
	secs, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	if err != nil || secs <= 0 || secs > 7*24*3600 {
		return fmt.Errorf("X-Goog-Expires = %q, want 1..604800 seconds", q.Get("X-Goog-Expires"))
	}
	if now.Before(signedAt.Add(-time.Minute)) || now.After(signedAt.Add(time.Duration(secs)*time.Second)) {
		return fmt.Errorf("the URL is valid from %v for %ds, not at %v", signedAt, secs, now)
	}
	cred := strings.Split(q.Get("X-Goog-Credential"), "/")
	if len(cred) != 5 || cred[1] != date[:8] || cred[2] != "auto" || cred[3] != "storage" || cred[4] != "goog4_request" {
		return fmt.Errorf("X-Goog-Credential = %q, want EMAIL/%s/auto/storage/goog4_request", q.Get("X-Goog-Credential"), date[:8])
	}
	sig, err := hex.DecodeString(q.Get("X-Goog-Signature"))
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("X-Goog-Signature is not hex")
	}
	signed := strings.Split(q.Get("X-Goog-SignedHeaders"), ";")
	if !slices.IsSorted(signed) || !slices.Contains(signed, "host") {
		return fmt.Errorf("X-Goog-SignedHeaders = %q: want sorted names including host", q.Get("X-Goog-SignedHeaders"))
	}
	for name := range req.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-goog-") && !slices.Contains(signed, l) {
			return fmt.Errorf("header %s is sent but not signed", l)
		}
	}
	var canonHeaders []string
	for _, h := range signed {
		var v string
		if h == "host" {
			v = req.Host
			if v == "" {
				v = req.URL.Host
			}
		} else {
			vals := req.Header.Values(h)
			if len(vals) == 0 {
				return fmt.Errorf("signed header %s is not sent", h)
			}
			v = strings.Join(vals, ",")
		}
		canonHeaders = append(canonHeaders, h+":"+strings.Join(strings.Fields(v), " "))
	}
	cq := url.Values{}
	for k, v := range q {
		if k != "X-Goog-Signature" {
			cq[k] = v
		}
	}
	creq := strings.Join([]string{
		req.Method,
		req.URL.EscapedPath(),
		strings.ReplaceAll(cq.Encode(), "+", "%20"),
		strings.Join(canonHeaders, "\n") + "\n",
		strings.Join(signed, ";"),
		"UNSIGNED-PAYLOAD",
	}, "\n")
	sum := sha256.Sum256([]byte(creq))
	sts := "GOOG4-RSA-SHA256\n" + date + "\n" + strings.Join(cred[1:], "/") + "\n" + hex.EncodeToString(sum[:])
	digest := sha256.Sum256([]byte(sts))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("signature does not match the request (%s %s): %v", req.Method, req.URL.EscapedPath(), err)
	}
	return nil
}

// PublicHost is the host signed URLs point at.
const PublicHost = "storage.googleapis.com"

// SignedGCSTransport plays Cloud Storage's public endpoint in front of
// fake-gcs-server for clients that use signed URLs: it checks the V4
// signature of every request to PublicHost with VerifyV4 (fake-gcs-server
// does not check signatures) and answers 403 when it does not match, then
// forwards the request to the fake. Resumable session URIs (upload_id=)
// need no signature; requests to other hosts are sent unchanged.
type SignedGCSTransport struct {
	Fake *url.URL // fake-gcs-server's URL (http://127.0.0.1:PORT)
	Pub  *rsa.PublicKey
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tr *SignedGCSTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if req.URL.Host != PublicHost {
		return base.RoundTrip(req)
	}
	if req.URL.Query().Has("upload_id") {
		// A resumable session URI: the upload id is the credential.
		out := req.Clone(req.Context())
		u := *req.URL
		u.Scheme, u.Host = tr.Fake.Scheme, tr.Fake.Host
		out.URL, out.Host = &u, PublicHost
		return base.RoundTrip(out)
	}
	if err := VerifyV4(req, tr.Pub, time.Now()); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		body := "<Error><Code>SignatureDoesNotMatch</Code><Message>" + err.Error() + "</Message></Error>"
		return &http.Response{
			StatusCode: http.StatusForbidden, Status: "403 Forbidden", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/xml"}},
			Body:    io.NopCloser(bytes.NewBufferString(body)),
			Request: req, ContentLength: int64(len(body)),
		}, nil
	}
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = tr.Fake.Scheme, tr.Fake.Host
	if req.Method == http.MethodPost && req.Header.Get("x-goog-resumable") == "start" {
		// fake-gcs-server reads the object name of a resumable start only
		// from a name parameter; Cloud Storage takes it from the path
		// (/BUCKET/OBJECT).
		segs := strings.SplitN(strings.TrimPrefix(req.URL.Path, "/"), "/", 2)
		if len(segs) == 2 {
			q := u.Query()
			q.Set("name", segs[1])
			u.RawQuery = q.Encode()
		}
	}
	out.URL = &u
	out.Host = PublicHost // fake-gcs-server serves its XML API on this host name
	return base.RoundTrip(out)
}
