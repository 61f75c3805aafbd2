# One Cloud Function (2nd gen) per entry of functions.Entrypoints()
# (functions/entrypoints.go): local.functions is that table for Terraform,
# and one resource declares them all with for_each.
# terraform/terraform_test.go expands the for_each and checks each function
# against the Go table: entry point, name, trigger, topic, dead-letter
# topic, service account and environment.
#
# The source is the archive made by scripts/package-functions.sh: the module
# root with a generated root package that imports ./functions, so every entry
# point registered there is available by its name.

locals {
  # Driver URLs and identity of the tenant, read by every function
  # (shared/platform.FromEnv). B2B_*_BUCKET are the names storage events
  # carry; B2B_SERVICE_ACCOUNTS may call the API as machines. The drop
  # bucket signs upload URLs as the functions' own account (access_id,
  # through IAM signBlob); browsers may call from the web app's origin only.
  function_env = {
    B2B_MODE             = "cloud"
    B2B_TENANT_ID        = var.tenant_id
    B2B_PROJECT          = var.project_id
    B2B_REGION           = var.region
    B2B_VERSION          = terraform_data.source_check.output
    B2B_CONFIG_URL       = "firestore://${var.project_id}"
    B2B_WAREHOUSE_URL    = "bigquery://${var.project_id}?location=${var.region}"
    B2B_DROP_URL         = "gs://${google_storage_bucket.drop.name}?access_id=${google_service_account.functions.email}"
    B2B_STAGING_URL      = "gs://${google_storage_bucket.staging.name}"
    B2B_ARTIFACTS_URL    = "gs://${google_storage_bucket.artifacts.name}"
    B2B_DROP_BUCKET      = google_storage_bucket.drop.name
    B2B_STAGING_BUCKET   = google_storage_bucket.staging.name
    B2B_EVENTS_URL       = "pubsub://${var.project_id}"
    B2B_SECRETS_URL      = "secretmanager://${var.project_id}"
    B2B_SCHEDULER_URL    = "cloudscheduler://${var.project_id}/${var.region}"
    B2B_AUTH_MODE        = "identity-platform"
    B2B_SERVICE_ACCOUNTS = google_service_account.functions.email
    B2B_AUDIENCES        = "b2brecs-api-${var.project_id}"
    B2B_ALLOWED_ORIGINS  = local.web_origin
    B2B_UPLOAD_MODE      = "signed"
    B2B_UPLOAD_MAX_BYTES = tostring(var.upload_max_bytes)
  }

  builder_sa_id = google_service_account.builder.id

}

resource "terraform_data" "source_check" {
  input = local.function_source_object

  lifecycle {
    precondition {
      condition     = (var.function_source_archive == null) != (var.function_source_object == null)
      error_message = "Set exactly one of function_source_archive and function_source_object."
    }
  }
}

locals {
  # Cloud Function name => its entry point and sizing. An event function
  # names the topic its push subscription (deliveries.tf) reads and the
  # topic its deliveries go to once Pub/Sub gives up on them; the HTTP API
  # has neither. cpu and concurrency null are Cloud Functions' defaults.
  functions = {
    api = {
      entry_point   = "API"
      description   = "HTTP API of the SPA and machine clients."
      memory        = "1Gi"
      cpu           = "1"
      timeout       = 300
      max_instances = 10
      concurrency   = 8
      # Only through the web app's load balancer (web.tf): /api on its origin.
      ingress     = "ALLOW_INTERNAL_AND_GCLB"
      topic       = null
      dead_letter = null
    }
    file-dropped = {
      entry_point   = "FileDropped"
      description   = "Matches an object finalized in the drop bucket against file ETL jobs."
      memory        = "1Gi"
      cpu           = null
      timeout       = 540
      max_instances = 10
      concurrency   = null
      ingress       = "ALLOW_INTERNAL_ONLY"
      # The drop bucket's object notifications.
      topic       = google_pubsub_topic.object_finalized
      dead_letter = google_pubsub_topic.dead_letter
    }
    run-requested = {
      entry_point   = "RunRequested"
      description   = "Plans an ETL run and fans it out into partitions."
      memory        = "1Gi"
      cpu           = null
      timeout       = 540
      max_instances = 10
      concurrency   = null
      ingress       = "ALLOW_INTERNAL_ONLY"
      topic         = google_pubsub_topic.etl_run_requested
      dead_letter   = google_pubsub_topic.dead_letter
    }
    partition-requested = {
      entry_point   = "PartitionRequested"
      description   = "Extracts one partition (a key or time range) of a large table into staged Parquet parts; the last one requests the run's load."
      memory        = "1Gi"
      cpu           = null
      timeout       = 540
      max_instances = 20
      concurrency   = null
      ingress       = "ALLOW_INTERNAL_ONLY"
      topic         = google_pubsub_topic.etl_partition_requested
      dead_letter   = google_pubsub_topic.dead_letter
    }
    load-requested = {
      entry_point   = "LoadRequested"
      description   = "Loads the staged Parquet parts of a run into BigQuery and advances the watermark."
      memory        = "2Gi"
      cpu           = "1"
      timeout       = 540
      max_instances = 10
      concurrency   = null
      ingress       = "ALLOW_INTERNAL_ONLY"
      topic         = google_pubsub_topic.etl_load_requested
      dead_letter   = google_pubsub_topic.dead_letter
    }
    sweep-requested = {
      entry_point   = "SweepRequested"
      description   = "The run sweeper: requests again the runs no worker holds, fails those whose attempts are spent."
      memory        = "512Mi"
      cpu           = null
      timeout       = 300
      max_instances = 1
      concurrency   = null
      ingress       = "ALLOW_INTERNAL_ONLY"
      # The ticks of the Cloud Scheduler job in scheduler.tf.
      topic       = google_pubsub_topic.etl_sweep_requested
      dead_letter = google_pubsub_topic.dead_letter
    }
    dead-lettered = {
      entry_point   = "DeadLettered"
      description   = "Records the deliveries the other functions' subscriptions gave up on and fails the runs they were for."
      memory        = "512Mi"
      cpu           = null
      timeout       = 120
      max_instances = 2
      concurrency   = null
      ingress       = "ALLOW_INTERNAL_ONLY"
      # Reads the dead-letter topic; what it cannot record is kept for an
      # operator (deliveries.tf), never sent back to itself.
      topic       = google_pubsub_topic.dead_letter
      dead_letter = google_pubsub_topic.dead_letter_unrecorded
    }
  }
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = each.key
  description = each.value.description
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = each.value.entry_point
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout
    max_instance_count               = lookup(var.max_instances, each.value.entry_point, each.value.max_instances)
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = each.value.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.functions.email
    environment_variables            = local.function_env
    # Out through the tenant's VPC and Cloud NAT's static address (network.tf).
    direct_vpc_egress = "VPC_EGRESS_ALL_TRAFFIC"
    direct_vpc_network_interface {
      network    = google_compute_network.egress.id
      subnetwork = google_compute_subnetwork.egress.id
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_sources,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "api_public" {
  count = var.api_public ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function["api"].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The push subscriptions (deliveries.tf) invoke the event functions' Cloud
# Run services as the trigger account.
resource "google_cloud_run_v2_service_iam_member" "trigger_invoker" {
  for_each = local.push_subscriptions

  project  = var.project_id
  location = var.region
  name     = each.value.function.name
  role     = "roles/run.invoker"
  member   = local.trigger_member
}

# The functions were resources of their own before the for_each: keep
# deployed ones (no destroy and re-create).
moved {
  from = google_cloudfunctions2_function.api
  to   = google_cloudfunctions2_function.function["api"]
}

moved {
  from = google_cloudfunctions2_function.file_dropped
  to   = google_cloudfunctions2_function.function["file-dropped"]
}

moved {
  from = google_cloudfunctions2_function.run_requested
  to   = google_cloudfunctions2_function.function["run-requested"]
}

moved {
  from = google_cloudfunctions2_function.load_requested
  to   = google_cloudfunctions2_function.function["load-requested"]
}

moved {
  from = google_cloudfunctions2_function.sweep_requested
  to   = google_cloudfunctions2_function.function["sweep-requested"]
}

moved {
  from = google_cloudfunctions2_function.dead_lettered
  to   = google_cloudfunctions2_function.function["dead-lettered"]
}
