# One tenant = one Google Cloud project. This module fills a project that
# already exists (modules/platform creates it with google_project, or pass an
# existing project ID) with everything b2brecs runs on: APIs, buckets, the
# raw_data dataset, Firestore, Pub/Sub topics, service accounts and the Cloud
# Functions declared in functions/entrypoints.go.

locals {
  labels = merge({ app = "b2brecs", tenant = var.tenant_id }, var.labels)

  services = toset([
    "aiplatform.googleapis.com",
    "apikeys.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

data "google_project" "tenant" {
  project_id = var.project_id
}

resource "google_project_service" "enabled" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
