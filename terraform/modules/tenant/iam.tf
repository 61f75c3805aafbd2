# Service accounts and least-privilege bindings.
#
#   functions  runtime identity of every function
#   trigger    identity the push subscriptions invoke the event functions as
#   builder    identity of the Cloud Build runs that build the functions
#
# Cloud Scheduler jobs have Pub/Sub targets, which publish as Cloud
# Scheduler's own service agent: no account of ours runs them.
#
# Every binding of the functions account is there for a Google API call the
# code makes: docs/cloud.md has the table (call, permission, role,
# resource), kept beside the drivers' lists of their calls (GoogleCalls)
# and checked against this file by terraform/iam_test.go.

resource "google_service_account" "functions" {
  project      = var.project_id
  account_id   = "b2b-functions"
  display_name = "b2brecs functions runtime"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "trigger" {
  project      = var.project_id
  account_id   = "b2b-eventarc"
  display_name = "b2brecs event deliveries (push subscriptions)"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "b2b-builder"
  display_name = "b2brecs function builds"

  depends_on = [google_project_service.enabled]
}

locals {
  functions_member = "serviceAccount:${google_service_account.functions.email}"
  trigger_member   = "serviceAccount:${google_service_account.trigger.email}"
  builder_member   = "serviceAccount:${google_service_account.builder.email}"
}

# --- functions runtime ---------------------------------------------------

# Tables of the tenant's datasets (all made here, data.tf): the functions
# look a dataset up and never create one, so they need no project-wide
# bigquery.datasets.create.
resource "google_bigquery_dataset_iam_member" "functions_raw_data" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.raw_data.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = local.functions_member
}

resource "google_bigquery_dataset_iam_member" "functions_datasets" {
  for_each = google_bigquery_dataset.tenant

  project    = var.project_id
  dataset_id = each.value.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = local.functions_member
}

# Project-level roles that have no narrower resource to bind to.
resource "google_project_iam_member" "functions" {
  for_each = toset([
    "roles/bigquery.jobUser",             # load and query jobs
    "roles/datastore.user",               # Firestore config store
    "roles/secretmanager.secretAccessor", # read connection secrets
  ])

  project = var.project_id
  role    = each.value
  member  = local.functions_member
}

# One Cloud Scheduler job per scheduled ETL job: create, change, pause,
# resume, delete and list them, nothing else (cloudscheduler.admin would
# also run them and read every job's full view).
resource "google_project_iam_custom_role" "schedule_writer" {
  project     = var.project_id
  role_id     = "b2brecsScheduleWriter"
  title       = "b2brecs schedule writer"
  description = "Create, change, pause, resume, delete and list the Cloud Scheduler jobs of the tenant's scheduled ETL jobs."
  permissions = [
    "cloudscheduler.jobs.create",
    "cloudscheduler.jobs.delete",
    "cloudscheduler.jobs.enable",
    "cloudscheduler.jobs.get",
    "cloudscheduler.jobs.list",
    "cloudscheduler.jobs.pause",
    "cloudscheduler.jobs.update",
  ]

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "functions_schedule_writer" {
  project = var.project_id
  role    = google_project_iam_custom_role.schedule_writer.id
  member  = local.functions_member
}

# Writing secrets (connection passwords entered in the SPA) needs more than
# secretAccessor but far less than secretmanager.admin.
resource "google_project_iam_custom_role" "secret_writer" {
  project     = var.project_id
  role_id     = "b2brecsSecretWriter"
  title       = "b2brecs secret writer"
  description = "Create, version and delete the tenant's connection secrets."
  permissions = [
    "secretmanager.secrets.create",
    "secretmanager.secrets.delete",
    "secretmanager.secrets.get",
    "secretmanager.versions.add",
  ]

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "functions_secret_writer" {
  project = var.project_id
  role    = google_project_iam_custom_role.secret_writer.id
  member  = local.functions_member
}

# Users an admin invites get an Identity Platform account and a mail to set
# their password (shared/auth/idplatform): look an account up, create one,
# send the mail; firebaseauth.admin would also change the sign-in
# configuration and every user.
resource "google_project_iam_custom_role" "user_inviter" {
  project     = var.project_id
  role_id     = "b2brecsUserInviter"
  title       = "b2brecs user inviter"
  description = "Look up and create the Identity Platform accounts of invited users and mail them a link to set their password."
  permissions = [
    "firebaseauth.users.create",
    "firebaseauth.users.get",
    "firebaseauth.users.sendEmail",
  ]

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "functions_user_inviter" {
  project = var.project_id
  role    = google_project_iam_custom_role.user_inviter.id
  member  = local.functions_member
}

# Reads the drop area, and creates (or replaces: a new version of a file
# under the same name, which needs storage.objects.delete, so not
# objectCreator) the objects browsers upload with URLs signed as this
# account.
resource "google_storage_bucket_iam_member" "functions_drop" {
  bucket = google_storage_bucket.drop.name
  role   = "roles/storage.objectUser"
  member = local.functions_member
}

# The API signs upload URLs with the functions' own Google-managed key
# (IAM Credentials signBlob): Cloud Functions have no key file.
resource "google_service_account_iam_member" "functions_sign_uploads" {
  service_account_id = google_service_account.functions.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.functions_member
}

# Objects only (objectAdmin would also let it change the buckets' IAM).
resource "google_storage_bucket_iam_member" "functions_staging" {
  bucket = google_storage_bucket.staging.name
  role   = "roles/storage.objectUser"
  member = local.functions_member
}

resource "google_storage_bucket_iam_member" "functions_artifacts" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = local.functions_member
}

resource "google_pubsub_topic_iam_member" "functions_publisher" {
  for_each = local.topics

  project = var.project_id
  topic   = each.value.name
  role    = "roles/pubsub.publisher"
  member  = local.functions_member
}

# --- push subscriptions (deliveries.tf) ---------------------------------

# The trigger account signs the push requests to the event functions:
# run.invoker on each function's Cloud Run service (same name as the
# function) is in functions.tf.

# Cloud Storage publishes the drop bucket's notifications: its service
# agent gets pubsub.publisher on their topic (deliveries.tf).
data "google_storage_project_service_account" "gcs" {
  project = var.project_id

  depends_on = [google_project_service.enabled]
}

# --- function builds -----------------------------------------------------

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/cloudbuild.builds.builder",
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
  ])

  project = var.project_id
  role    = each.value
  member  = local.builder_member
}

resource "google_storage_bucket_iam_member" "builder_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = local.builder_member
}
