# Buckets. Names are prefixed with the project ID, which is globally unique.

resource "google_storage_bucket" "drop" {
  project                     = var.project_id
  name                        = "${var.project_id}-drop"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = local.labels

  # The web app uploads straight into this bucket, from its own origin
  # only: a signed resumable upload (POST starts it, PUT sends the bytes,
  # Location names the session, Range tells how much arrived).
  cors {
    origin          = [local.web_origin]
    method          = ["POST", "PUT"]
    response_header = ["Content-Type", "Content-Range", "Location", "Range", "x-goog-resumable", "x-goog-content-length-range"]
    max_age_seconds = 3600
  }

  dynamic "lifecycle_rule" {
    for_each = var.drop_retention_days > 0 ? [var.drop_retention_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket" "staging" {
  project                     = var.project_id
  name                        = "${var.project_id}-staging"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = local.labels

  # Staged parts (runs/) go after staging_retention_days; a run's rejected
  # rows (rejects/) stay as long as the run record (the rejects download).
  lifecycle_rule {
    condition {
      age            = var.staging_retention_days
      matches_prefix = ["runs/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.project_id}-artifacts"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = local.labels

  versioning {
    enabled = true
  }

  depends_on = [google_project_service.enabled]
}

# The single-page app, served on its own origin by the load balancer in
# web.tf. index.html answers unknown paths so client-side routes work on
# reload.
resource "google_storage_bucket" "spa" {
  project                     = var.project_id
  name                        = "${var.project_id}-spa"
  location                    = var.region
  uniform_bucket_level_access = true
  force_destroy               = true
  labels                      = local.labels

  website {
    main_page_suffix = "index.html"
    not_found_page   = "index.html"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "spa_public" {
  count = var.spa_public ? 1 : 0

  bucket = google_storage_bucket.spa.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

# Function source archives (scripts/package-functions.sh output).
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-gcf-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels

  lifecycle_rule {
    condition {
      num_newer_versions = 5
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  versioning {
    enabled = true
  }

  depends_on = [google_project_service.enabled]
}

# The object name carries the archive's hash, so a changed archive makes a new
# object and the functions are rebuilt.
resource "google_storage_bucket_object" "source" {
  count = var.function_source_archive == null ? 0 : 1

  bucket = google_storage_bucket.sources.name
  name   = "functions-source-${filemd5(var.function_source_archive)}.zip"
  source = var.function_source_archive
}

locals {
  function_source_object = var.function_source_archive == null ? var.function_source_object : google_storage_bucket_object.source[0].name
}
