package connections_test

// The database drivers the tests read through; the platform links them in
// production (shared/platform/drivers.go), this package does not.
import (
	_ "github.com/b2brecs/b2brecs/shared/sources/mysql"
	_ "github.com/b2brecs/b2brecs/shared/sources/postgres"
)
