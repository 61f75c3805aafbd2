package drops_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/b2brecs/b2brecs/shared/drops"
	"github.com/b2brecs/b2brecs/shared/errs"
)

// buckets is one memblob bucket per tenant and role (gocloud's in-memory
// driver).
type buckets map[string]*blob.Bucket

func (b buckets) Bucket(_ context.Context, tenant, role string) (*blob.Bucket, error) {
	k := tenant + "-" + role
	if b[k] == nil {
		b[k] = memblob.OpenBucket(nil)
	}
	return b[k], nil
}

func (buckets) BucketName(tenant, role string) string { return tenant + "-" + role }

func keys(t *testing.T, b *blob.Bucket) []string {
	t.Helper()
	var out []string
	it := b.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, obj.Key)
	}
}

// failing reads n bytes, then fails with err.
type failing struct {
	n   int
	err error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(f.n, len(p))
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

// Put stores the whole file under its base name, or nothing: over the
// limit, cut by the request's byte limit or interrupted, no object is
// left behind.
func TestPut(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		body     io.Reader
		wantKind errs.Kind
		wantMsg  string
		stored   string // "" for nothing
	}{
		{"dir/../orders.csv", strings.NewReader("a\n1\n"), 0, "", "orders.csv"},
		{"exact.csv", strings.NewReader(strings.Repeat("x", 10)), 0, "", "exact.csv"},
		{"big.csv", strings.NewReader(strings.Repeat("x", 11)), errs.Invalid, "big.csv is larger than this deployment accepts (at most 10 bytes)", ""},
		{"cut.csv", &failing{5, &http.MaxBytesError{Limit: 10}}, errs.Invalid, "cut.csv is larger than this deployment accepts (at most 10 bytes)", ""},
		{"broken.csv", &failing{5, errors.New("connection reset by peer")}, errs.Invalid, "the upload of broken.csv was interrupted: try again", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bs := buckets{}
			svc := drops.New(bs, drops.Settings{MaxBytes: 10}, nil)
			obj, err := svc.Put(ctx, "acme", c.name, c.body)
			b, _ := bs.Bucket(ctx, "acme", "drop")
			got := keys(t, b)
			if c.stored == "" {
				if !errs.Is(err, c.wantKind) || errs.UserMessage(err) != c.wantMsg || len(got) != 0 {
					t.Errorf("Put = %v (%q), stored %v; want %s %q and nothing stored", err, errs.UserMessage(err), got, c.wantKind, c.wantMsg)
				}
				return
			}
			if err != nil || obj != (drops.Object{Bucket: "acme-drop", Name: c.stored, Size: obj.Size}) || fmt.Sprint(got) != "["+c.stored+"]" {
				t.Errorf("Put = %+v, %v, stored %v; want %s", obj, err, got, c.stored)
			}
		})
	}
}

// List shows at most ListLimit files, by name, and only the tenant's.
func TestList(t *testing.T) {
	ctx := context.Background()
	bs := buckets{}
	svc := drops.New(bs, drops.Settings{ListLimit: 2}, nil)
	for _, n := range []string{"c.csv", "a.csv", "b.csv"} {
		if _, err := svc.Put(ctx, "acme", n, strings.NewReader("x\n1\n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Put(ctx, "globex", "z.csv", strings.NewReader("x\n")); err != nil {
		t.Fatal(err)
	}
	files, err := svc.List(ctx, "acme")
	if err != nil || len(files) != 2 || files[0].Name != "a.csv" || files[1].Name != "b.csv" || files[0].Size != 4 {
		t.Errorf("List = %+v, %v; want a.csv, b.csv (4 bytes)", files, err)
	}
	if files, err := svc.List(ctx, "initech"); err != nil || files == nil || len(files) != 0 {
		t.Errorf("List of an empty drop area = %#v, %v; want an empty list", files, err)
	}
}

// A ticket refuses what the deployment would refuse, before any byte
// moves; a direct-mode ticket names the object it will become.
func TestTicket(t *testing.T) {
	ctx := context.Background()
	svc := drops.New(buckets{}, drops.Settings{MaxBytes: 100}, nil)
	size := func(n int64) *int64 { return &n }
	cases := []struct {
		name     string
		size     *int64
		kind     errs.Kind
		field    string
		tooLarge bool
	}{
		{"", size(1), errs.Invalid, "name", false},
		{"../etc/passwd", size(1), errs.Invalid, "name", false},
		{"a.csv", nil, errs.Invalid, "size", false},
		{"a.csv", size(-1), errs.Invalid, "size", false},
		{"a.csv", size(101), errs.Invalid, "size", true},
		{"notes.docx", size(1), errs.Unsupported, "name", false},
	}
	for _, c := range cases {
		_, err := svc.Ticket(ctx, "acme", c.name, c.size)
		var mbe *http.MaxBytesError
		if !errs.Is(err, c.kind) || errs.FieldOf(err) != c.field || errors.As(err, &mbe) != c.tooLarge {
			t.Errorf("Ticket(%q, %v) = %v (field %q); want %s about %s", c.name, c.size, err, errs.FieldOf(err), c.kind, c.field)
		}
	}
	tk, err := svc.Ticket(ctx, "acme", "orders.csv.gz", size(100))
	if err != nil || tk.Mode != drops.ModeDirect || tk.Signed != nil || tk.MaxBytes != 100 || tk.Object != (drops.Object{Bucket: "acme-drop", Name: "orders.csv.gz", Size: 100}) {
		t.Errorf("Ticket = %+v, %v", tk, err)
	}
	// A signed-mode deployment whose bucket cannot sign is an internal
	// error with a message for the administrator.
	signed := drops.New(buckets{}, drops.Settings{Mode: drops.ModeSigned}, nil)
	if _, err := signed.Ticket(ctx, "acme", "orders.csv", size(1)); !errs.Is(err, errs.Unknown) || !strings.Contains(errs.UserMessage(err), "ask your administrator") {
		t.Errorf("signed Ticket without a signer = %v (%q)", err, errs.UserMessage(err))
	}
}
