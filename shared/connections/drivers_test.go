package connections_test

// The database and bucket drivers the tests read through; the platform
// links them in production (shared/platform/drivers.go), this package does
// not.
import (
	_ "github.com/b2brecs/b2brecs/shared/blobstore/azurebucket"
	_ "github.com/b2brecs/b2brecs/shared/blobstore/gcsbucket"
	_ "github.com/b2brecs/b2brecs/shared/blobstore/s3bucket"
	_ "github.com/b2brecs/b2brecs/shared/sources/bigquerysrc"
	_ "github.com/b2brecs/b2brecs/shared/sources/firestoresrc"
	_ "github.com/b2brecs/b2brecs/shared/sources/mysql"
	_ "github.com/b2brecs/b2brecs/shared/sources/postgres"
)
