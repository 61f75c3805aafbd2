package bigquerywh

import "github.com/b2brecs/b2brecs/shared/gcpcall"

// GoogleCalls are the BigQuery API calls of this driver. Load and query
// jobs run as the caller: jobs.insert needs bigquery.jobs.create on the
// project, and the job needs the table permissions on the dataset it
// reads or writes. datasets.insert happens only for a dataset that does not
// exist (CreateDataset looks it up first); a deployment creates its
// datasets in Terraform and does not grant it.
var GoogleCalls = []gcpcall.Call{
	{Method: "bigquery.datasets.get", Permission: "bigquery.datasets.get", On: gcpcall.Dataset},
	{Method: "bigquery.datasets.insert", Permission: "bigquery.datasets.create", On: gcpcall.Project},
	{Method: "bigquery.tables.insert", Permission: "bigquery.tables.create", On: gcpcall.Dataset},
	{Method: "bigquery.tables.get", Permission: "bigquery.tables.get", On: gcpcall.Dataset},
	{Method: "bigquery.tables.list", Permission: "bigquery.tables.list", On: gcpcall.Dataset},
	{Method: "bigquery.tables.delete", Permission: "bigquery.tables.delete", On: gcpcall.Dataset},
	{Method: "bigquery.jobs.insert", Permission: "bigquery.jobs.create", On: gcpcall.Project},
	{Method: "bigquery.jobs.insert", Permission: "bigquery.tables.updateData", On: gcpcall.Dataset}, // load, MERGE, replace
	{Method: "bigquery.jobs.query", Permission: "bigquery.jobs.create", On: gcpcall.Project},
	{Method: "bigquery.jobs.query", Permission: "bigquery.tables.getData", On: gcpcall.Dataset},
	// A job's creator may read it and its results with bigquery.jobs.create.
	{Method: "bigquery.jobs.get", Permission: "bigquery.jobs.create", On: gcpcall.Project},
	{Method: "bigquery.jobs.getQueryResults", Permission: "bigquery.jobs.create", On: gcpcall.Project},
}
