output "project_id" {
  description = "The tenant's project."
  value       = var.project_id
}

output "api_url" {
  description = "HTTPS URL of the API: /api on the web app's origin (the function itself takes traffic from the load balancer only)."
  value       = "${local.web_origin}/api"
}

output "spa_url" {
  description = "URL of the web app (its own origin, served by the load balancer)."
  value       = "${local.web_origin}/"
}

output "web_ip" {
  description = "Address of the web app's load balancer: point a DNS A record of web_domain at it."
  value       = google_compute_global_address.web.address
}

output "buckets" {
  description = "Bucket names by role."
  value = {
    drop      = google_storage_bucket.drop.name
    staging   = google_storage_bucket.staging.name
    artifacts = google_storage_bucket.artifacts.name
    spa       = google_storage_bucket.spa.name
    sources   = google_storage_bucket.sources.name
    pipelines = google_storage_bucket.pipelines.name
  }
}

output "topics" {
  description = "Pub/Sub topic IDs by name."
  value       = { for k, t in local.topics : k => t.id }
}

output "dataset" {
  description = "The BigQuery dataset ETL jobs load into by default."
  value       = google_bigquery_dataset.raw_data.dataset_id
}

output "datasets" {
  description = "Every BigQuery dataset of the tenant."
  value       = concat([google_bigquery_dataset.raw_data.dataset_id], [for d in google_bigquery_dataset.tenant : d.dataset_id])
}

output "service_accounts" {
  description = "Service account emails by role."
  value = {
    functions = google_service_account.functions.email
    trigger   = google_service_account.trigger.email
    builder   = google_service_account.builder.email
    vertex    = google_service_account.vertex.email
  }
}

output "function_env" {
  description = "The environment every function gets (no secrets in it)."
  value       = local.function_env
}

output "egress_ip" {
  description = "The static address the functions connect to customers' databases from (Cloud NAT): customers allow-list it."
  value       = google_compute_address.egress.address
}

output "project_number" {
  description = "The tenant project's number (budgets filter on it)."
  value       = data.google_project.tenant.number
}

output "notification_channels" {
  description = "IDs of the alert e-mail channels (the budget notifies them too)."
  value       = [for c in google_monitoring_notification_channel.email : c.id]
}

output "vertex" {
  description = "What the experiments issue's Vertex AI pipelines use: their service account, pipeline root and image repository."
  value = {
    service_account = google_service_account.vertex.email
    pipeline_root   = "gs://${google_storage_bucket.pipelines.name}"
    repository      = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.ml.repository_id}"
  }
}
