package platform

// The pure-Go drivers every deployment may select by URL. DuckDB (cgo) is
// imported only by the local binary, functions/cmd/recs.
import (
	_ "github.com/b2brecs/b2brecs/shared/blobstore/azurebucket"
	_ "github.com/b2brecs/b2brecs/shared/blobstore/gcsbucket"
	_ "github.com/b2brecs/b2brecs/shared/blobstore/s3bucket"
	_ "github.com/b2brecs/b2brecs/shared/docstore/firestoredoc"
	_ "github.com/b2brecs/b2brecs/shared/docstore/sqlitedoc"
	_ "github.com/b2brecs/b2brecs/shared/events/membus"
	_ "github.com/b2brecs/b2brecs/shared/events/pubsubbus"
	_ "github.com/b2brecs/b2brecs/shared/scheduler/cloudscheduler"
	_ "github.com/b2brecs/b2brecs/shared/secrets/localsecrets"
	_ "github.com/b2brecs/b2brecs/shared/secrets/secretmanager"
	_ "github.com/b2brecs/b2brecs/shared/sources/bigquerysrc"
	_ "github.com/b2brecs/b2brecs/shared/sources/firestoresrc"
	_ "github.com/b2brecs/b2brecs/shared/sources/mysql"
	_ "github.com/b2brecs/b2brecs/shared/sources/postgres"
	_ "github.com/b2brecs/b2brecs/shared/warehouse/bigquerywh"
)
