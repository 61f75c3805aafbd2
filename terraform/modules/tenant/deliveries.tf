# How events reach the event functions: one Pub/Sub push subscription per
# function, with a retry policy and a dead-letter policy, pushing to the
# function's URL as the trigger account (an OIDC token). Eventarc triggers
# would create these subscriptions themselves, without a dead-letter policy;
# declaring them here is what lets a delivery that keeps failing end up in
# the dead-letter topic, where the DeadLettered function records it and
# fails the run it was for (shared/etl RecordDeadLetter).
#
# The functions framework turns a push request into a messagePublished
# CloudEvent (the topic comes from the endpoint's /projects/P/topics/T path)
# and functions.Deliver unwraps it: CloudEvents in binary mode for the
# platform's own topics, Cloud Storage notifications for object-finalized.
#
# terraform/terraform_test.go expands the for_each and checks that every
# event function of functions.Entrypoints() has exactly one such
# subscription, on its topic, with a dead-letter policy, and the IAM
# Pub/Sub's service agent needs.

# The drop bucket's object notifications (what Eventarc's storage trigger
# did): the object resource (JSON_API_V1) on the object-finalized topic.
resource "google_pubsub_topic" "object_finalized" {
  project = var.project_id
  name    = "object-finalized"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic_iam_member" "gcs_notifications" {
  project = var.project_id
  topic   = google_pubsub_topic.object_finalized.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_storage_notification" "drop_finalized" {
  bucket         = google_storage_bucket.drop.name
  topic          = google_pubsub_topic.object_finalized.id
  payload_format = "JSON_API_V1"
  event_types    = ["OBJECT_FINALIZE"]

  depends_on = [google_pubsub_topic_iam_member.gcs_notifications]
}

# The run sweeper's ticks (scheduler.tf publishes them).
resource "google_pubsub_topic" "etl_sweep_requested" {
  project = var.project_id
  name    = "etl-sweep-requested"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

# Dead letters the DeadLettered function itself could not record land here,
# kept for a week for an operator (pull subscription below).
resource "google_pubsub_topic" "dead_letter_unrecorded" {
  project                    = var.project_id
  name                       = "etl-dead-letter-unrecorded"
  labels                     = local.labels
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "dead_letter_unrecorded" {
  project                    = var.project_id
  name                       = "etl-dead-letter-unrecorded"
  topic                      = google_pubsub_topic.dead_letter_unrecorded.id
  labels                     = local.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

locals {
  # Event function (by its Cloud Function name) => the function, the topic
  # it reads and where its deliveries go once Pub/Sub gives up on them: the
  # functions of local.functions (functions.tf) that name a topic.
  push_subscriptions = {
    for name, f in local.functions : name => {
      function    = google_cloudfunctions2_function.function[name]
      topic       = f.topic
      dead_letter = f.dead_letter
    } if f.topic != null
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project = var.project_id
  name    = each.key
  topic   = each.value.topic.id
  labels  = local.labels
  # Longer than the functions' timeout (540 s): a delivery still running
  # is not handed to a second instance.
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = "${each.value.function.service_config[0].uri}/projects/${var.project_id}/topics/${each.value.topic.name}"
    oidc_token {
      service_account_email = google_service_account.trigger.email
      audience              = each.value.function.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = each.value.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_pubsub_topic_iam_member.dead_letter_unrecorded_publisher,
    google_service_account_iam_member.pubsub_push_tokens,
  ]
}

# Pub/Sub's service agent forwards undeliverable messages: it publishes to
# the dead-letter topics (dead_letter_publisher in pubsub.tf covers
# etl-dead-letter) and acknowledges them on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_unrecorded_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter_unrecorded.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "push_dead_letter_subscriber" {
  for_each = local.push_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# ... and signs the push requests' OIDC tokens as the trigger account.
resource "google_service_account_iam_member" "pubsub_push_tokens" {
  service_account_id = google_service_account.trigger.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}
