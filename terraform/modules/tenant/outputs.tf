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
  }
}

output "function_env" {
  description = "The environment every function gets (no secrets in it)."
  value       = local.function_env
}
