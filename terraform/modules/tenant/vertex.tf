# Vertex AI, for the experiments issue: the account its pipelines run as,
# the pipeline root bucket and the Artifact Registry repository of the
# training images. No code calls Vertex AI yet, so the functions' account
# gets nothing here: the change that submits pipelines adds, with its calls
# and docs/cloud.md's table, aiplatform.user and serviceAccountUser on this
# account.

resource "google_service_account" "vertex" {
  project      = var.project_id
  account_id   = "b2b-vertex"
  display_name = "b2brecs Vertex AI pipelines"

  depends_on = [google_project_service.enabled]
}

locals {
  vertex_member = "serviceAccount:${google_service_account.vertex.email}"
}

resource "google_storage_bucket" "pipelines" {
  project                     = var.project_id
  name                        = "${var.project_id}-pipelines"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = local.labels

  lifecycle_rule {
    condition {
      age = var.pipeline_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_artifact_registry_repository" "ml" {
  project       = var.project_id
  location      = var.region
  repository_id = "b2b-ml"
  description   = "Training and serving images of b2brecs experiments (tenant ${var.tenant_id})."
  format        = "DOCKER"
  labels        = local.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  depends_on = [google_project_service.enabled]
}

# Pipelines write their artifacts under the pipeline root, pull the images,
# read the loaded data and write model outputs.
resource "google_storage_bucket_iam_member" "vertex_pipelines" {
  bucket = google_storage_bucket.pipelines.name
  role   = "roles/storage.objectUser"
  member = local.vertex_member
}

resource "google_artifact_registry_repository_iam_member" "vertex_images" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.ml.name
  role       = "roles/artifactregistry.reader"
  member     = local.vertex_member
}

resource "google_artifact_registry_repository_iam_member" "builder_images" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.ml.name
  role       = "roles/artifactregistry.writer"
  member     = local.builder_member
}

resource "google_bigquery_dataset_iam_member" "vertex_raw_data" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.raw_data.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = local.vertex_member
}

resource "google_bigquery_dataset_iam_member" "vertex_datasets" {
  for_each = google_bigquery_dataset.tenant

  project    = var.project_id
  dataset_id = each.value.dataset_id
  role       = each.key == "models" ? "roles/bigquery.dataEditor" : "roles/bigquery.dataViewer"
  member     = local.vertex_member
}

resource "google_project_iam_member" "vertex" {
  for_each = toset([
    "roles/aiplatform.user",   # the pipeline's own jobs
    "roles/bigquery.jobUser",  # query the training data
    "roles/logging.logWriter", # pipeline logs
  ])

  project = var.project_id
  role    = each.value
  member  = local.vertex_member
}
