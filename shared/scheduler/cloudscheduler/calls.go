package cloudscheduler

import "github.com/b2brecs/b2brecs/shared/gcpcall"

// GoogleCalls are the Cloud Scheduler API calls of this driver. The jobs
// it makes publish to Pub/Sub as Cloud Scheduler's own service agent, so
// they run as no account of the deployment.
var GoogleCalls = []gcpcall.Call{
	{Method: "cloudscheduler.jobs.create", Permission: "cloudscheduler.jobs.create", On: gcpcall.Project},
	{Method: "cloudscheduler.jobs.get", Permission: "cloudscheduler.jobs.get", On: gcpcall.Project},
	{Method: "cloudscheduler.jobs.patch", Permission: "cloudscheduler.jobs.update", On: gcpcall.Project},
	{Method: "cloudscheduler.jobs.pause", Permission: "cloudscheduler.jobs.pause", On: gcpcall.Project},
	{Method: "cloudscheduler.jobs.resume", Permission: "cloudscheduler.jobs.enable", On: gcpcall.Project},
	{Method: "cloudscheduler.jobs.delete", Permission: "cloudscheduler.jobs.delete", On: gcpcall.Project},
	{Method: "cloudscheduler.jobs.list", Permission: "cloudscheduler.jobs.list", On: gcpcall.Project},
}
