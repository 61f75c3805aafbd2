// Package secretmanager is the Google Secret Manager driver of the secrets
// port, registered as scheme "secretmanager":
//
//	secretmanager://PROJECT                       default credentials
//	secretmanager://PROJECT?endpoint=host:port    a test server: plaintext gRPC, no auth
//
// # Secret ids
//
// A tenant's secret lives in PROJECT as the secret "t-<tenant>-<name>", with
// automatic replication and the annotations b2brecs-tenant and b2brecs-name.
// Because tenants may themselves contain '-' (and "t-a-b-c" could otherwise be
// tenant "a" or tenant "a-b"), the tenant part is escaped: '_' is written "__"
// and '-' is written "_d". Tenants made of letters and digits appear as is:
// tenant "acme", name "pg-password" is "t-acme-pg-password"; tenant "acme-eu"
// is "t-acme_deu-pg-password". Secret Manager limits ids to 255 characters,
// so very long tenant+name pairs are rejected with errs.Invalid.
//
// Put adds a secret version (creating the secret when it is missing), Get
// accesses "versions/latest", Delete deletes the secret with all its versions.
// Payloads carry a CRC32C checksum both ways. gRPC status codes map to errs
// kinds; secret values never appear in errors.
package secretmanager

import (
	"context"
	"fmt"
	"hash/crc32"
	"net/url"
	"regexp"
	"strings"

	sm "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/errs/grpcerr"
	"github.com/b2brecs/b2brecs/shared/secrets"
)

// Scheme is the URL scheme of this driver.
const Scheme = "secretmanager"

// Annotation keys set on every secret this driver creates.
const (
	AnnotationTenant = "b2brecs-tenant"
	AnnotationName   = "b2brecs-name"
)

// maxSecretID is Secret Manager's limit on secret ids.
const maxSecretID = 255

var projectRE = regexp.MustCompile(`^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})$`)

func init() {
	secrets.Register(Scheme, openURL)
}

func openURL(ctx context.Context, u *url.URL) (secrets.Driver, error) {
	q := u.Query()
	endpoint := q.Get("endpoint")
	q.Del("endpoint")
	for k := range q {
		return nil, errs.E(errs.Invalid, "secretmanager: %s: unknown query parameter %q", u.Redacted(), k)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errs.E(errs.Invalid, "secretmanager: %s: want secretmanager://PROJECT", u.Redacted())
	}
	var opts []option.ClientOption
	if endpoint != "" {
		opts = append(opts,
			option.WithEndpoint(endpoint),
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		)
	}
	return Open(ctx, u.Host, opts...)
}

// Store keeps secrets in one project's Secret Manager. It implements
// secrets.Driver.
type Store struct {
	project string
	client  *sm.Client
}

var _ secrets.Driver = (*Store)(nil)

// Open returns a store for project; opts are passed to the Secret Manager
// client (credentials, endpoint).
func Open(ctx context.Context, project string, opts ...option.ClientOption) (*Store, error) {
	if !projectRE.MatchString(project) {
		return nil, errs.E(errs.Invalid, "secretmanager: bad project id %q", project)
	}
	c, err := sm.NewClient(ctx, opts...)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "secretmanager: create client")
	}
	return &Store{project: project, client: c}, nil
}

// SecretID returns the Secret Manager secret id for a tenant's secret (see
// the package documentation).
func SecretID(tenant, name string) (string, error) {
	if err := secrets.CheckNames(tenant, name); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("t-")
	for i := 0; i < len(tenant); i++ {
		switch c := tenant[i]; c {
		case '_':
			b.WriteString("__")
		case '-':
			b.WriteString("_d")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('-')
	b.WriteString(name)
	if b.Len() > maxSecretID {
		return "", errs.E(errs.Invalid, "secretmanager: secret id for tenant %q and name %q is %d characters, over Secret Manager's %d", tenant, name, b.Len(), maxSecretID)
	}
	return b.String(), nil
}

func (s *Store) secretName(tenant, name string) (string, error) {
	id, err := SecretID(tenant, name)
	if err != nil {
		return "", err
	}
	return "projects/" + s.project + "/secrets/" + id, nil
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Get returns the latest version of the secret.
func (s *Store) Get(ctx context.Context, tenant, name string) ([]byte, error) {
	secret, err := s.secretName(tenant, name)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{
		Name: secret + "/versions/latest",
	})
	if err != nil {
		return nil, grpcErr(err, "secretmanager: get secret %s/%s", tenant, name)
	}
	data := resp.GetPayload().GetData()
	if sum := resp.GetPayload().DataCrc32C; sum != nil && int64(crc32.Checksum(data, crcTable)) != *sum {
		return nil, errs.E(errs.Transient, "secretmanager: get secret %s/%s: payload checksum mismatch", tenant, name)
	}
	return data, nil
}

// Put adds a new version of the secret, creating the secret if needed.
func (s *Store) Put(ctx context.Context, tenant, name string, value []byte) error {
	secret, err := s.secretName(tenant, name)
	if err != nil {
		return err
	}
	sum := int64(crc32.Checksum(value, crcTable))
	add := func() error {
		_, err := s.client.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{
			Parent:  secret,
			Payload: &secretmanagerpb.SecretPayload{Data: value, DataCrc32C: &sum},
		})
		return err
	}
	err = add()
	if status.Code(err) != codes.NotFound {
		return grpcErr(err, "secretmanager: put secret %s/%s", tenant, name)
	}
	id := secret[strings.LastIndexByte(secret, '/')+1:]
	_, err = s.client.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{
		Parent:   "projects/" + s.project,
		SecretId: id,
		Secret: &secretmanagerpb.Secret{
			Replication: &secretmanagerpb.Replication{
				Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}},
			},
			Annotations: map[string]string{AnnotationTenant: tenant, AnnotationName: name},
		},
	})
	if err != nil && status.Code(err) != codes.AlreadyExists { // AlreadyExists: a concurrent Put won
		return grpcErr(err, "secretmanager: create secret %s/%s", tenant, name)
	}
	return grpcErr(add(), "secretmanager: put secret %s/%s", tenant, name)
}

// Delete removes the secret and all its versions; a missing secret is not an
// error.
func (s *Store) Delete(ctx context.Context, tenant, name string) error {
	secret, err := s.secretName(tenant, name)
	if err != nil {
		return err
	}
	err = s.client.DeleteSecret(ctx, &secretmanagerpb.DeleteSecretRequest{Name: secret})
	if status.Code(err) == codes.NotFound {
		return nil
	}
	return grpcErr(err, "secretmanager: delete secret %s/%s", tenant, name)
}

// Close closes the client.
func (s *Store) Close() error {
	return s.client.Close()
}

// ErrorKind implements secrets.Driver: the gRPC status code's kind.
func (s *Store) ErrorKind(err error) errs.Kind { return grpcerr.KindOf(err) }

// KindOf maps a gRPC status code to an errs kind.
func KindOf(code codes.Code) errs.Kind { return grpcerr.Kind(code) }

// grpcErr adds the operation to a Secret Manager error for the logs; the
// secrets.Store gives it its kind (ErrorKind). nil stays nil.
func grpcErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
