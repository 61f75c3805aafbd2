package connections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/b2brecs/b2brecs/shared/docstore"
	"github.com/b2brecs/b2brecs/shared/egress"
	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/sources"
)

// Limits of listings.
const (
	TestObjects  = 100   // objects a storage test lists
	MaxFiles     = 1000  // files ListFiles returns
	maxScanned   = 50000 // objects ListFiles looks at
	describeRows = 5     // sample values per column
)

// TableItem is one table (databases) or object (buckets) of a test.
type TableItem struct {
	Name string `json:"name"`
	// Rows is the row count (databases; -1 unknown), RowsExact whether it
	// is exact.
	Rows      *int64 `json:"rows,omitempty"`
	RowsExact bool   `json:"rows_exact,omitempty"`
	// Size and Modified describe an object (buckets).
	Size     *int64     `json:"size,omitempty"`
	Modified *time.Time `json:"last_modified,omitempty"`
}

// TestResult is the outcome of a connection test. A failed test is a
// result with OK false and a friendly Message, not an error.
type TestResult struct {
	OK            bool        `json:"ok"`
	Message       string      `json:"message"`
	ServerVersion string      `json:"server_version,omitempty"`
	Schema        string      `json:"schema,omitempty"`
	Tables        []TableItem `json:"tables"`
	// DuplicateOf is the id of another connection of the tenant to the
	// same place.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// FileInfo is one object of ListFiles.
type FileInfo struct {
	// Key is the object's full key in the bucket.
	Key      string    `json:"key"`
	Name     string    `json:"name"` // base name
	Size     int64     `json:"size"`
	Modified time.Time `json:"last_modified"`
}

// Test tests a saved connection with its stored secret and records the
// outcome (last_test_*).
func (s *Service) Test(ctx context.Context, tenant, id string) (TestResult, error) {
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return TestResult{}, err
	}
	sec, err := s.secret(ctx, c)
	if err != nil {
		return TestResult{}, err
	}
	tr := s.test(ctx, tenant, c.Fields, sec)
	if tr.DuplicateOf, err = s.duplicateOf(ctx, tenant, c.Fields, id); err != nil {
		return TestResult{}, err
	}
	_, err = s.update(ctx, tenant, id, func(c *Connection) {
		t := s.now()
		c.LastTestAt, c.LastTestMessage, c.LastTestStatus = &t, tr.Message, StatusFailed
		if tr.OK {
			c.LastTestStatus = StatusSuccess
		}
	})
	return tr, err
}

func (s *Service) update(ctx context.Context, tenant, id string, fn func(c *Connection)) (Connection, error) {
	return docstore.Update[Connection](ctx, s.docs, key(tenant, id), func(c *Connection, exists bool) error {
		if !exists {
			return errs.Explain(errs.E(errs.NotFound, "connection %q not found", id), "this connection does not exist (it may have been deleted)")
		}
		fn(c)
		return nil
	})
}

var errEOF = io.EOF

// TestValues tests unsaved values (the wizard) and reports an existing
// connection to the same place in DuplicateOf.
func (s *Service) TestValues(ctx context.Context, tenant string, in NewConnection) (TestResult, error) {
	if err := normalize(&in.Fields, in.Secret, s.tenantRoots(tenant)); err != nil {
		return TestResult{}, err
	}
	tr := s.test(ctx, tenant, in.Fields, in.Secret)
	dup, err := s.duplicateOf(ctx, tenant, in.Fields, "")
	if err != nil {
		return TestResult{}, err
	}
	tr.DuplicateOf = dup
	return tr, nil
}

// test runs the test for validated fields of a tenant's connection.
func (s *Service) test(ctx context.Context, tenant string, f Fields, sec Secret) TestResult {
	ctx, cancel := context.WithTimeout(ctx, s.opts.TestTimeout)
	defer cancel()
	var tr TestResult
	var err error
	if f.Type.HasTables() {
		tr, err = s.testDB(ctx, f, sec)
	} else {
		tr, err = s.testBucket(ctx, tenant, f, sec)
	}
	if err != nil {
		s.opts.Logger.InfoContext(ctx, "connections: test failed", "type", string(f.Type), "kind", errs.KindOf(err).String(), "err", scrub(err.Error(), sec))
		return TestResult{Message: friendly(f, err, sec), Tables: []TableItem{}}
	}
	tr.OK = true
	return tr
}

func (s *Service) testDB(ctx context.Context, f Fields, sec Secret) (TestResult, error) {
	src, err := s.openSource(ctx, f, sec)
	if err != nil {
		return TestResult{}, err
	}
	defer src.Close()
	r, err := src.Test(ctx)
	if err != nil {
		return TestResult{}, err
	}
	tr := TestResult{Message: r.Message, ServerVersion: r.ServerVersion, Schema: r.Schema, Tables: make([]TableItem, 0, len(r.Tables))}
	for _, t := range r.Tables {
		rows := t.Rows
		tr.Tables = append(tr.Tables, TableItem{Name: t.Name, Rows: &rows, RowsExact: t.RowsExact})
	}
	return tr, nil
}

func (s *Service) testBucket(ctx context.Context, tenant string, f Fields, sec Secret) (TestResult, error) {
	b, err := s.openBucket(ctx, tenant, f, sec)
	if err != nil {
		return TestResult{}, err
	}
	defer b.Close()
	it := b.List(&blob.ListOptions{Prefix: f.Prefix})
	tr := TestResult{Tables: []TableItem{}}
	for len(tr.Tables) < TestObjects {
		o, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, errEOF) {
				break
			}
			return TestResult{}, storageErr(err, "list objects")
		}
		if o.IsDir || strings.HasSuffix(o.Key, "/") {
			continue
		}
		size, mod := o.Size, o.ModTime.UTC()
		tr.Tables = append(tr.Tables, TableItem{Name: o.Key, Size: &size, Modified: &mod})
	}
	where := "the bucket"
	if f.Prefix != "" {
		where = fmt.Sprintf("prefix %q", f.Prefix)
	}
	more := ""
	if len(tr.Tables) == TestObjects {
		more = fmt.Sprintf(" (the first %d shown)", TestObjects)
	}
	tr.Message = fmt.Sprintf("connected to %s %s; %d objects under %s%s", f.Type.Display(), bucketName(f), len(tr.Tables), where, more)
	return tr, nil
}

// Schemas lists the schemas of a database connection (Firestore: "/", the
// database root).
func (s *Service) Schemas(ctx context.Context, tenant, id string) ([]string, error) {
	var out []string
	err := s.withSource(ctx, tenant, id, func(src *sources.Source) (err error) {
		out, err = src.Schemas(ctx)
		return err
	})
	if out == nil {
		out = []string{}
	}
	return out, err
}

// Tables lists the tables of a schema ("" = the connection's schema;
// Firestore: the collections under the root or under a document path).
func (s *Service) Tables(ctx context.Context, tenant, id, schema string) ([]sources.TableInfo, error) {
	var out []sources.TableInfo
	err := s.withSource(ctx, tenant, id, func(src *sources.Source) (err error) {
		out, err = src.Tables(ctx, schema)
		return err
	})
	if out == nil {
		out = []sources.TableInfo{}
	}
	return out, err
}

// Describe returns a table's columns, their warehouse mapping, sample
// values and the recommended incremental column and key.
func (s *Service) Describe(ctx context.Context, tenant, id, schema, table string) (sources.TableMeta, error) {
	var out sources.TableMeta
	if table == "" {
		return out, errs.E(errs.Invalid, "connection: table: is required")
	}
	err := s.withSource(ctx, tenant, id, func(src *sources.Source) (err error) {
		out, err = src.Describe(ctx, schema, table, describeRows)
		return err
	})
	return out, err
}

func (s *Service) withSource(ctx context.Context, tenant, id string, fn func(*sources.Source) error) error {
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return err
	}
	if !c.Type.HasTables() {
		return errs.Userf(errs.Invalid, "connection %q is a %s connection: it has no schemas or tables (list its files)", c.Name, c.Type.Display())
	}
	sec, err := s.secret(ctx, c)
	if err != nil {
		return err
	}
	src, err := s.openSource(ctx, c.Fields, sec)
	if err != nil {
		return s.failure(ctx, c, err, sec)
	}
	defer src.Close()
	if err := fn(src); err != nil {
		return s.failure(ctx, c, err, sec)
	}
	return nil
}

// failure turns a driver error into one with a friendly message (its kind
// kept, secrets scrubbed, the cause logged without secrets).
func (s *Service) failure(ctx context.Context, c Connection, err error, sec Secret) error {
	msg := friendly(c.Fields, err, sec)
	s.opts.Logger.InfoContext(ctx, "connections: source call failed", "tenant", c.TenantID, "id", c.ID, "kind", errs.KindOf(err).String(), "err", scrub(err.Error(), sec))
	return errs.Userf(errs.KindOf(err), "%s", msg)
}

// ListFiles lists the files of a storage connection under its prefix plus
// prefix, whose base name matches the glob pattern ("" = all), newest
// first, at most MaxFiles.
func (s *Service) ListFiles(ctx context.Context, tenant, id, prefix, pattern string) ([]FileInfo, error) {
	c, _, err := s.get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if !c.Type.IsStorage() {
		return nil, errs.E(errs.Invalid, "connection %q is a %s connection: it has no files (list its tables)", c.Name, c.Type.Display())
	}
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "..") {
		return nil, invalid("prefix", "must be relative and must not contain '..'")
	}
	if pattern != "" {
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, invalid("pattern", "is not a valid glob pattern")
		}
	}
	sec, err := s.secret(ctx, c)
	if err != nil {
		return nil, err
	}
	b, err := s.openBucket(ctx, tenant, c.Fields, sec)
	if err != nil {
		return nil, s.failure(ctx, c, err, sec)
	}
	defer b.Close()
	out := []FileInfo{}
	it := b.List(&blob.ListOptions{Prefix: c.Prefix + prefix})
	for scanned := 0; scanned < maxScanned; scanned++ {
		o, err := it.Next(ctx)
		if errors.Is(err, errEOF) {
			break
		}
		if err != nil {
			return nil, s.failure(ctx, c, storageErr(err, "list objects"), sec)
		}
		if o.IsDir || strings.HasSuffix(o.Key, "/") {
			continue
		}
		base := path.Base(o.Key)
		if pattern != "" {
			if ok, _ := path.Match(pattern, base); !ok {
				continue
			}
		}
		out = append(out, FileInfo{Key: o.Key, Name: base, Size: o.Size, Modified: o.ModTime.UTC()})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Modified.Equal(out[j].Modified) {
			return out[i].Modified.After(out[j].Modified)
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > MaxFiles {
		out = out[:MaxFiles]
	}
	return out, nil
}

// friendly is the message shown for a failed test or discovery call: what
// went wrong in words a user can act on, never a secret.
func friendly(f Fields, err error, sec Secret) string {
	if d, ok := egress.AsDenied(err); ok {
		return d.Error()
	}
	detail := publicMessage(err)
	if errs.HasUserMessage(err) {
		detail = errs.UserMessage(err)
	}
	detail = scrub(detail, sec)
	k := errs.KindOf(err)
	switch {
	case k == errs.Unknown:
		return "the connection failed"
	case k == errs.Invalid || k == errs.Unsupported || k == errs.Conflict:
		return detail
	case f.Type.HasTables() || strings.HasPrefix(f.BucketURL, "file:"):
		// The sources drivers' and local folders' messages are written for
		// users (and redacted).
		return detail
	}
	switch k {
	case errs.Unauthenticated:
		return "the credentials were rejected: check the access key, account key, SAS token or service account"
	case errs.Permission:
		return "access denied: the credentials may not list this bucket (or were rejected)"
	case errs.NotFound:
		return "bucket or container not found: check the bucket URL"
	case errs.Transient:
		return "cannot reach the storage service (timeout or network): try again, or check the endpoint"
	}
	return "the connection failed"
}

// publicMessage is the message of the outermost kinded error.
func publicMessage(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return err.Error()
}

// scrub removes secret values (and their URL-escaped forms) from a text.
func scrub(s string, sec Secret) string {
	vals := sec.values()
	// A SAS token's parts (sig above all) may show up re-encoded in a URL.
	if q, err := url.ParseQuery(strings.TrimPrefix(sec.AzureSASToken, "?")); err == nil {
		for _, vs := range q {
			for _, v := range vs {
				if len(v) >= 8 {
					vals = append(vals, v)
				}
			}
		}
	}
	for _, v := range vals {
		if len(v) < 3 {
			continue
		}
		s = strings.ReplaceAll(s, v, "***")
		for _, esc := range []string{url.QueryEscape(v), url.PathEscape(v)} {
			if esc != v {
				s = strings.ReplaceAll(s, esc, "***")
			}
		}
	}
	return s
}
