# The run sweeper: a Cloud Scheduler job that publishes a SweepRequested for
# the tenant to etl-sweep-requested, which the SweepRequested function reads
# (shared/etl Sweep). It is the job etl.SweeperJob describes, with the
# attributes the cloudscheduler driver gives the jobs it makes (CloudEvents
# binary mode; terraform/terraform_test.go checks them against both). A job
# with a Pub/Sub target publishes as Cloud Scheduler's service agent, which
# may publish to the topics of its project: it needs no grant of ours.

resource "google_cloud_scheduler_job" "run_sweeper" {
  project     = var.project_id
  region      = var.region
  name        = "${var.tenant_id}-etl-run-sweeper"
  description = "b2brecs schedule ${var.tenant_id}/etl-run-sweeper: requests again the runs no worker holds, fails those whose attempts are spent."
  schedule    = var.sweep_schedule
  time_zone   = "UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.etl_sweep_requested.id
    data       = base64encode(jsonencode({ tenant = var.tenant_id }))
    attributes = {
      "ce-specversion"     = "1.0"
      "ce-id"              = "${var.tenant_id}/etl-run-sweeper"
      "ce-type"            = "com.b2brecs.etl.sweep.requested.v1"
      "ce-source"          = "//b2brecs/scheduler/${var.tenant_id}/etl-run-sweeper"
      "ce-subject"         = "etl-run-sweeper"
      "ce-tenant"          = var.tenant_id
      "ce-datacontenttype" = "application/json"
      "Content-Type"       = "application/json"
    }
  }

  depends_on = [google_project_service.enabled]
}
