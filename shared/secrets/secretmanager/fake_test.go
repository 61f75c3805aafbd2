package secretmanager_test

import (
	"context"
	"fmt"
	"hash/crc32"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/b2brecs/b2brecs/shared/secrets/secretmanager"
)

// fakeSM is an in-process Secret Manager that keeps secrets and versions in
// memory and checks every request the driver sends: resource name formats,
// the project, the routing header, replication on create, payload presence
// and checksum. A malformed request fails with InvalidArgument and is
// recorded as a violation, which fails the test at cleanup.
type fakeSM struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	project string

	mu         sync.Mutex
	secrets    map[string]*fakeSecret // by full resource name
	violations []string
	calls      map[string]int
	fail       map[string]codes.Code // method -> injected error
}

type fakeSecret struct {
	secret   *secretmanagerpb.Secret
	versions [][]byte
}

var (
	secretIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	annKeyRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$`)
)

// startFake serves a fakeSM on loopback TCP and returns it with its address.
func startFake(t *testing.T, project string) (*fakeSM, string) {
	t.Helper()
	f := &fakeSM{project: project, secrets: map[string]*fakeSecret{}, calls: map[string]int{}, fail: map[string]codes.Code{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(func() {
		srv.Stop()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, v := range f.violations {
			t.Errorf("fake Secret Manager: bad request: %s", v)
		}
	})
	return f, lis.Addr().String()
}

// begin counts the call, checks the routing header and returns an injected
// failure, if any. It must be called with f.mu held.
func (f *fakeSM) begin(ctx context.Context, method, param, value string) error {
	f.calls[method]++
	md, _ := metadata.FromIncomingContext(ctx)
	want := param + "=" + strings.ReplaceAll(value, "/", "%2F")
	if got := strings.Join(md.Get("x-goog-request-params"), ","); got != want {
		f.violations = append(f.violations, fmt.Sprintf("%s: routing header %q, want %q", method, got, want))
	}
	if c, ok := f.fail[method]; ok {
		return status.Errorf(c, "injected %v", c)
	}
	return nil
}

func (f *fakeSM) bad(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	f.violations = append(f.violations, msg)
	return status.Error(codes.InvalidArgument, msg)
}

// secretName checks a "projects/P/secrets/ID" name.
func (f *fakeSM) secretName(method, name string) error {
	id, ok := strings.CutPrefix(name, "projects/"+f.project+"/secrets/")
	if !ok || !secretIDRE.MatchString(id) {
		return f.bad("%s: bad secret name %q", method, name)
	}
	return nil
}

func (f *fakeSM) CreateSecret(ctx context.Context, req *secretmanagerpb.CreateSecretRequest) (*secretmanagerpb.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "CreateSecret", "parent", req.GetParent()); err != nil {
		return nil, err
	}
	if req.GetParent() != "projects/"+f.project {
		return nil, f.bad("CreateSecret: parent %q, want projects/%s", req.GetParent(), f.project)
	}
	if !secretIDRE.MatchString(req.GetSecretId()) {
		return nil, f.bad("CreateSecret: bad secret id %q", req.GetSecretId())
	}
	s := req.GetSecret()
	if s.GetReplication().GetAutomatic() == nil {
		return nil, f.bad("CreateSecret: replication is not automatic: %v", s.GetReplication())
	}
	if s.GetName() != "" {
		return nil, f.bad("CreateSecret: secret.name must be empty, got %q", s.GetName())
	}
	for k := range s.GetAnnotations() {
		if !annKeyRE.MatchString(k) {
			return nil, f.bad("CreateSecret: bad annotation key %q", k)
		}
	}
	name := req.GetParent() + "/secrets/" + req.GetSecretId()
	if _, ok := f.secrets[name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Secret [%s] already exists.", name)
	}
	stored := &secretmanagerpb.Secret{
		Name: name, Replication: s.GetReplication(), Annotations: s.GetAnnotations(), CreateTime: timestamppb.Now(),
	}
	f.secrets[name] = &fakeSecret{secret: stored}
	return stored, nil
}

func (f *fakeSM) AddSecretVersion(ctx context.Context, req *secretmanagerpb.AddSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "AddSecretVersion", "parent", req.GetParent()); err != nil {
		return nil, err
	}
	if err := f.secretName("AddSecretVersion", req.GetParent()); err != nil {
		return nil, err
	}
	p := req.GetPayload()
	if p == nil || len(p.GetData()) == 0 {
		return nil, f.bad("AddSecretVersion: no payload")
	}
	if p.DataCrc32C == nil {
		return nil, f.bad("AddSecretVersion: no data_crc32c")
	}
	if want := int64(crc32.Checksum(p.GetData(), crc32.MakeTable(crc32.Castagnoli))); p.GetDataCrc32C() != want {
		return nil, f.bad("AddSecretVersion: data_crc32c %d, want %d", p.GetDataCrc32C(), want)
	}
	s, ok := f.secrets[req.GetParent()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", req.GetParent())
	}
	s.versions = append(s.versions, append([]byte(nil), p.GetData()...))
	return &secretmanagerpb.SecretVersion{
		Name:  req.GetParent() + "/versions/" + strconv.Itoa(len(s.versions)),
		State: secretmanagerpb.SecretVersion_ENABLED,
	}, nil
}

func (f *fakeSM) AccessSecretVersion(ctx context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "AccessSecretVersion", "name", req.GetName()); err != nil {
		return nil, err
	}
	i := strings.LastIndex(req.GetName(), "/versions/")
	if i < 0 {
		return nil, f.bad("AccessSecretVersion: bad version name %q", req.GetName())
	}
	secret, ver := req.GetName()[:i], req.GetName()[i+len("/versions/"):]
	if err := f.secretName("AccessSecretVersion", secret); err != nil {
		return nil, err
	}
	s, ok := f.secrets[secret]
	if !ok || len(s.versions) == 0 {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", secret)
	}
	n := len(s.versions)
	if ver != "latest" {
		v, err := strconv.Atoi(ver)
		if err != nil || v < 1 {
			return nil, f.bad("AccessSecretVersion: bad version %q", ver)
		}
		if v > n {
			return nil, status.Errorf(codes.NotFound, "version %d not found", v)
		}
		n = v
	}
	data := s.versions[n-1]
	sum := int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    secret + "/versions/" + strconv.Itoa(n),
		Payload: &secretmanagerpb.SecretPayload{Data: data, DataCrc32C: &sum},
	}, nil
}

func (f *fakeSM) DeleteSecret(ctx context.Context, req *secretmanagerpb.DeleteSecretRequest) (*emptypb.Empty, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "DeleteSecret", "name", req.GetName()); err != nil {
		return nil, err
	}
	if err := f.secretName("DeleteSecret", req.GetName()); err != nil {
		return nil, err
	}
	if _, ok := f.secrets[req.GetName()]; !ok {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found.", req.GetName())
	}
	delete(f.secrets, req.GetName())
	return &emptypb.Empty{}, nil
}

// Helpers for tests.

func (f *fakeSM) setFail(method string, c codes.Code) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c == codes.OK {
		delete(f.fail, method)
	} else {
		f.fail[method] = c
	}
}

func (f *fakeSM) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeSM) secret(tenant, name string) (*fakeSecret, bool) {
	id, err := secretmanager.SecretID(tenant, name)
	if err != nil {
		return nil, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets["projects/"+f.project+"/secrets/"+id]
	return s, ok
}
