package blobstore_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"
	"google.golang.org/api/option"

	"github.com/b2brecs/b2brecs/shared/blobstore"
	"github.com/b2brecs/b2brecs/shared/blobstore/blobtest"
	"github.com/b2brecs/b2brecs/shared/blobstore/gcsbucket"
	"github.com/b2brecs/b2brecs/shared/testenv"
)

// azuriteKey is Azurite's published development account key (not a secret).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

func mustOpen(t *testing.T, rawURL string) *blob.Bucket {
	t.Helper()
	b, err := blobstore.Open(t.Context(), rawURL)
	if err != nil {
		t.Fatalf("Open(%q): %v", rawURL, err)
	}
	return b
}

func TestConformanceFile(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) *blob.Bucket {
		b, err := fileblob.OpenBucket(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestConformanceFileURL(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) *blob.Bucket {
		// A directory that does not exist yet: Open creates it.
		return mustOpen(t, "file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "drop", "acme")))
	})
}

func TestConformanceMem(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) *blob.Bucket { return memblob.OpenBucket(nil) })
}

func TestConformanceMemURL(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) *blob.Bucket { return mustOpen(t, "mem://") })
}

// newFakeGCS starts fake-gcs-server on loopback HTTP and returns it with a
// function that creates a fresh bucket name in it.
func newFakeGCS(t *testing.T) (*fakestorage.Server, func() string) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard,
	})
	if err != nil {
		t.Fatalf("fake-gcs-server: %v", err)
	}
	t.Cleanup(srv.Stop)
	var n atomic.Int64
	return srv, func() string {
		name := fmt.Sprintf("bucket-%d", n.Add(1))
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
		return name
	}
}

func TestConformanceGCSFakeServer(t *testing.T) {
	srv, newBucket := newFakeGCS(t)

	t.Run("Client", func(t *testing.T) {
		client, err := storage.NewClient(t.Context(),
			option.WithEndpoint(srv.URL()+"/storage/v1/"),
			option.WithoutAuthentication(),
			storage.WithJSONReads())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			b, err := gcsblob.OpenBucket(t.Context(), nil, newBucket(), &gcsblob.Options{Client: client})
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
	t.Run("URLEndpoint", func(t *testing.T) {
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			return mustOpen(t, "gs://"+newBucket()+"?endpoint="+url.QueryEscape(srv.URL()))
		})
	})
	t.Run("EmulatorHostEnv", func(t *testing.T) {
		t.Setenv(gcsbucket.EmulatorHostEnv, strings.TrimPrefix(srv.URL(), "http://"))
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			return mustOpen(t, "gs://"+newBucket())
		})
	})
}

// newFakeS3 starts gofakes3 (in-memory backend) and returns its URL and a
// function that creates a fresh bucket in it.
func newFakeS3(t *testing.T) (string, func() string) {
	t.Helper()
	backend := s3mem.New()
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(ts.Close)
	var n atomic.Int64
	return ts.URL, func() string {
		name := fmt.Sprintf("bucket-%d", n.Add(1))
		if err := backend.CreateBucket(name); err != nil {
			t.Fatalf("create bucket: %v", err)
		}
		return name
	}
}

func TestConformanceS3GofakesFake(t *testing.T) {
	endpoint, newBucket := newFakeS3(t)

	t.Run("Client", func(t *testing.T) {
		client := s3.New(s3.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(endpoint),
			UsePathStyle: true,
			Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		})
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			b, err := s3blob.OpenBucket(t.Context(), client, newBucket(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
	t.Run("URL", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
		// gofakes3 answers a range GET with the whole object's CRC32, which the
		// SDK then rejects; real S3 does not, so validation is relaxed here only.
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			return mustOpen(t, "s3://"+newBucket()+"?region=us-east-1&use_path_style=true"+
				"&response_checksum_validation=when_required&endpoint="+url.QueryEscape(endpoint))
		})
	})
}

func TestConformanceAzurite(t *testing.T) {
	svc := testenv.Require(t, testenv.Azurite) // e.g. http://127.0.0.1:10000/devstoreaccount1
	su, err := url.Parse(svc)
	if err != nil {
		t.Fatalf("%s=%q: %v", testenv.Azurite, svc, err)
	}
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	// Containers are named per test run so reruns against a long-lived
	// Azurite do not see each other's objects.
	run := fmt.Sprintf("%x", os.Getpid())
	var n atomic.Int64
	newContainer := func(t *testing.T) string {
		name := fmt.Sprintf("b2b-%s-%d", run, n.Add(1))
		c, err := container.NewClientWithSharedKeyCredential(strings.TrimRight(svc, "/")+"/"+name, cred, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Create(t.Context(), nil); err != nil {
			t.Fatalf("create container %s: %v", name, err)
		}
		t.Cleanup(func() { c.Delete(context.Background(), nil) })
		return name
	}

	t.Run("Client", func(t *testing.T) {
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			name := newContainer(t)
			c, err := container.NewClientWithSharedKeyCredential(strings.TrimRight(svc, "/")+"/"+name, cred, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := azureblob.OpenBucket(t.Context(), c, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
	t.Run("URL", func(t *testing.T) {
		// gocloud's default azblob opener reads these once per process.
		t.Setenv("AZURE_STORAGE_ACCOUNT", azuriteAccount)
		t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
		blobtest.Run(t, func(t *testing.T) *blob.Bucket {
			q := url.Values{"protocol": {su.Scheme}, "domain": {su.Host}, "localemu": {"true"}}
			return mustOpen(t, "azblob://"+newContainer(t)+"?"+q.Encode())
		})
	})
}
