# The warehouse dataset and the config store.

resource "google_bigquery_dataset" "raw_data" {
  project                    = var.project_id
  dataset_id                 = "raw_data"
  friendly_name              = "raw_data"
  description                = "Tables loaded by b2brecs ETL jobs for tenant ${var.tenant_id}."
  location                   = var.region
  delete_contents_on_destroy = var.force_destroy
  labels                     = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_firestore_database" "default" {
  project          = var.project_id
  name             = "(default)"
  location_id      = coalesce(var.firestore_location, var.region)
  type             = "FIRESTORE_NATIVE"
  concurrency_mode = "OPTIMISTIC"
  deletion_policy  = "ABANDON"

  depends_on = [google_project_service.enabled]
}
