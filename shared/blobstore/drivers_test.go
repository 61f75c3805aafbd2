package blobstore_test

// The cloud drivers the tests run the port through; the platform links
// them in production (shared/platform/drivers.go).
import (
	_ "github.com/b2brecs/b2brecs/shared/blobstore/azurebucket"
	_ "github.com/b2brecs/b2brecs/shared/blobstore/s3bucket"
)
