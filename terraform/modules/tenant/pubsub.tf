# Topics of the ETL chain. The event functions read them through the push
# subscriptions in deliveries.tf, which retry failed deliveries and forward
# the ones they give up on to the dead-letter topic: the DeadLettered
# function records those (and fails the runs they were for); the pull
# subscription below keeps them a week for an operator too.

resource "google_pubsub_topic" "etl_run_requested" {
  project = var.project_id
  name    = "etl-run-requested"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "etl_load_requested" {
  project = var.project_id
  name    = "etl-load-requested"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

# One message per partition of a partitioned run (a large table read as
# key or time ranges by many function instances).
resource "google_pubsub_topic" "etl_partition_requested" {
  project = var.project_id
  name    = "etl-partition-requested"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "etl_run_finished" {
  project = var.project_id
  name    = "etl-run-finished"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  project                    = var.project_id
  name                       = "etl-dead-letter"
  labels                     = local.labels
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "etl-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = local.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }
}

# Subscription on the finished topic so run outcomes can be inspected or
# consumed by tools; nothing in the platform depends on it.
resource "google_pubsub_subscription" "etl_run_finished_audit" {
  project                    = var.project_id
  name                       = "etl-run-finished-audit"
  topic                      = google_pubsub_topic.etl_run_finished.id
  labels                     = local.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = 10
  }
}

locals {
  topics = {
    etl-run-requested       = google_pubsub_topic.etl_run_requested
    etl-load-requested      = google_pubsub_topic.etl_load_requested
    etl-partition-requested = google_pubsub_topic.etl_partition_requested
    etl-run-finished        = google_pubsub_topic.etl_run_finished
    etl-dead-letter         = google_pubsub_topic.dead_letter
  }
  pubsub_service_agent = "serviceAccount:service-${data.google_project.tenant.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# Pub/Sub forwards undeliverable messages of the audit subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "audit_dead_letter_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.etl_run_finished_audit.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
