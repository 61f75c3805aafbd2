// Package rehearsal is the cloud rehearsal (`make cloud-rehearsal`, and
// part of `make test` through `go test ./...` when the emulators run): the
// cloud wiring of a deployed tenant, on emulators, in the shape Terraform
// deploys it. The test is rehearsal_test.go; docs/cloud.md ("Rehearsal on
// emulators") describes what it runs and where it differs from the cloud.
//
//   - The function source is packaged by scripts/package-functions.sh and
//     built by the Go buildpack's declarative template (functions/buildpack),
//     CGO_ENABLED=0; one process per entry point of functions.Entrypoints(),
//     each with FUNCTION_TARGET and PORT, as Cloud Run runs them, with the
//     environment of terraform/modules/tenant/functions.tf (B2B_MODE=cloud,
//     firestore://, pubsub://, gs://, bigquery://).
//   - Pub/Sub is the gcloud emulator: the topics of the tenant module and
//     one push subscription per event function, as deliveries.tf makes them
//     (the endpoint's /projects/P/topics/T path, a retry policy, a
//     dead-letter policy).
//   - Cloud Storage is fake-gcs-server, which publishes the drop bucket's
//     OBJECT_FINALIZE notifications (JSON_API_V1) to the object-finalized
//     topic on the emulator, as google_storage_notification does.
//   - Firestore is the gcloud emulator; BigQuery is the request fake
//     (shared/warehouse/bigquerywh/bqfake), which reads the staged Parquet
//     of each load job from fake-gcs-server and counts its rows.
//   - Cloud Scheduler's sweeper is played by the test: it publishes a
//     SweepRequested on the sweep topic every few seconds. The test also
//     plays the operator and the API: it bootstraps the tenant and creates
//     the file job through the platform opened on the same configuration.
//
// The test drops the Online Retail file (541,909 rows) into the drop
// bucket and follows the run through every function to completed, then
// kills the RunRequested process while a second run extracts and shows
// that run still ends (completed after the lease of the dead instance
// expires, or failed with a message), never running.
package rehearsal
