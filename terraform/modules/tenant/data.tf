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

# The tenant's other datasets. The functions may not create datasets (see
# iam.tf): a dataset an ETL job writes to must be declared here.
resource "google_bigquery_dataset" "tenant" {
  for_each = var.datasets

  project                    = var.project_id
  dataset_id                 = each.key
  friendly_name              = each.key
  description                = "${each.value} (b2brecs tenant ${var.tenant_id})"
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
  # Reads of any version of the last 7 days (recovery from a bad change),
  # and no deletion of the database by accident.
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"

  depends_on = [google_project_service.enabled]
}

# Composite indexes for the config store's queries (shared/docstore/firestoredoc
# stores documents at tenants/{tenant}/{kind}/{id}, so a kind is a collection
# group id). Single-field queries use Firestore's automatic indexes.
locals {
  firestore_indexes = {
    runs_by_job    = { collection = "etl_run", fields = [["job_id", "ASCENDING"], ["created_at", "DESCENDING"]] }
    runs_by_status = { collection = "etl_run", fields = [["status", "ASCENDING"], ["created_at", "DESCENDING"]] }
  }
}

resource "google_firestore_index" "config" {
  for_each = local.firestore_indexes

  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}
