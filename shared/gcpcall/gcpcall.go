// Package gcpcall describes the Google API calls the cloud drivers make, so
// that the permissions a deployment grants can be checked against them.
// Each cloud driver keeps the list of its calls beside its code (a
// GoogleCalls variable); docs/cloud.md has a table of every call, the
// permission it needs, the role Terraform grants for it and on which
// resource, and terraform/iam_test.go checks that table against these lists
// and the Terraform configuration.
package gcpcall

// Resource kinds a call acts on, as the driver sees them; docs/cloud.md
// names the concrete resources of a tenant.
const (
	Project        = "project"
	Dataset        = "dataset"
	Bucket         = "bucket"
	Topic          = "topic"
	ServiceAccount = "service account"
)

// Call is one Google API method a driver calls.
type Call struct {
	// Method is the API method, "<service>.<collection>.<verb>" as in the
	// API reference (e.g. "bigquery.datasets.get").
	Method string
	// Permission is the IAM permission the caller needs.
	Permission string
	// On is the kind of resource the permission is checked on.
	On string
}
