// Package testenv lets tests find the emulators and servers that
// scripts/test-services.sh starts (Firestore and Pub/Sub emulators, Azurite,
// PostgreSQL, MariaDB). A test asks for a service by its environment
// variable; when it is unset the test is skipped with a message naming the
// variable, except under `make test` (B2B_REQUIRE_SERVICES=1), where a
// missing service fails the test so CI can never pass by skipping.
package testenv

import (
	"os"
	"testing"
)

// Well-known variables.
const (
	Firestore = "FIRESTORE_EMULATOR_HOST" // host:port of the Firestore emulator
	PubSub    = "PUBSUB_EMULATOR_HOST"    // host:port of the Pub/Sub emulator
	Azurite   = "B2B_AZURITE_BLOB_URL"    // e.g. http://127.0.0.1:10000/devstoreaccount1
	Postgres  = "B2B_POSTGRES_DSN"        // postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
	MariaDB   = "B2B_MARIADB_DSN"         // root@tcp(127.0.0.1:33306)/
	Chromium  = "B2B_CHROMIUM"            // path to the chromium binary
)

// Require returns the value of the environment variable that locates a
// service, skipping (or, under B2B_REQUIRE_SERVICES=1, failing) the test if
// it is unset.
func Require(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := name + " is not set: start the services with `scripts/test-services.sh start` and source var/test-services.env"
	if os.Getenv("B2B_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
