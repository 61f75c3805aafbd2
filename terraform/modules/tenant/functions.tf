# One Cloud Function (2nd gen) per entry of functions.Entrypoints()
# (functions/entrypoints.go); terraform/terraform_test.go checks that the two
# lists match, with the entry points, triggers and environment below.
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

resource "google_cloudfunctions2_function" "api" {
  project     = var.project_id
  location    = var.region
  name        = "api"
  description = "HTTP API of the SPA and machine clients."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "API"
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory                 = "1Gi"
    timeout_seconds                  = 300
    max_instance_count               = lookup(var.max_instances, "API", 10)
    max_instance_request_concurrency = 8
    available_cpu                    = "1"
    # Only through the web app's load balancer (web.tf): /api on its origin.
    ingress_settings               = "ALLOW_INTERNAL_AND_GCLB"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.function_env
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
  name     = google_cloudfunctions2_function.api.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloudfunctions2_function" "file_dropped" {
  project     = var.project_id
  location    = var.region
  name        = "file-dropped"
  description = "Matches an object finalized in the drop bucket against file ETL jobs."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "FileDropped"
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory               = "1Gi"
    timeout_seconds                = 540
    max_instance_count             = lookup(var.max_instances, "FileDropped", 10)
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.function_env
    # Out through the tenant's VPC and Cloud NAT's static address (network.tf).
    direct_vpc_egress = "VPC_EGRESS_ALL_TRAFFIC"
    direct_vpc_network_interface {
      network    = google_compute_network.egress.id
      subnetwork = google_compute_subnetwork.egress.id
    }
  }

  # Fed by the push subscription file-dropped (deliveries.tf) with the
  # drop bucket's object notifications.

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_sources,
  ]
}

resource "google_cloudfunctions2_function" "run_requested" {
  project     = var.project_id
  location    = var.region
  name        = "run-requested"
  description = "Plans an ETL run and fans it out into partitions."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "RunRequested"
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory               = "1Gi"
    timeout_seconds                = 540
    max_instance_count             = lookup(var.max_instances, "RunRequested", 10)
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.function_env
    # Out through the tenant's VPC and Cloud NAT's static address (network.tf).
    direct_vpc_egress = "VPC_EGRESS_ALL_TRAFFIC"
    direct_vpc_network_interface {
      network    = google_compute_network.egress.id
      subnetwork = google_compute_subnetwork.egress.id
    }
  }

  # Fed by the push subscription run-requested (deliveries.tf).

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_sources,
  ]
}

resource "google_cloudfunctions2_function" "load_requested" {
  project     = var.project_id
  location    = var.region
  name        = "load-requested"
  description = "Loads the staged Parquet parts of a run into BigQuery and advances the watermark."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "LoadRequested"
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory               = "2Gi"
    available_cpu                  = "1"
    timeout_seconds                = 540
    max_instance_count             = lookup(var.max_instances, "LoadRequested", 10)
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.function_env
    # Out through the tenant's VPC and Cloud NAT's static address (network.tf).
    direct_vpc_egress = "VPC_EGRESS_ALL_TRAFFIC"
    direct_vpc_network_interface {
      network    = google_compute_network.egress.id
      subnetwork = google_compute_subnetwork.egress.id
    }
  }

  # Fed by the push subscription load-requested (deliveries.tf).

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_sources,
  ]
}

resource "google_cloudfunctions2_function" "sweep_requested" {
  project     = var.project_id
  location    = var.region
  name        = "sweep-requested"
  description = "The run sweeper: requests again the runs no worker holds, fails those whose attempts are spent."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "SweepRequested"
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory               = "512Mi"
    timeout_seconds                = 300
    max_instance_count             = lookup(var.max_instances, "SweepRequested", 1)
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.function_env
    # Out through the tenant's VPC and Cloud NAT's static address (network.tf).
    direct_vpc_egress = "VPC_EGRESS_ALL_TRAFFIC"
    direct_vpc_network_interface {
      network    = google_compute_network.egress.id
      subnetwork = google_compute_subnetwork.egress.id
    }
  }

  # Fed by the push subscription sweep-requested (deliveries.tf) with the
  # ticks of the Cloud Scheduler job in scheduler.tf.

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_sources,
  ]
}

resource "google_cloudfunctions2_function" "dead_lettered" {
  project     = var.project_id
  location    = var.region
  name        = "dead-lettered"
  description = "Records the deliveries the other functions' subscriptions gave up on and fails the runs they were for."
  labels      = local.labels

  build_config {
    runtime         = var.go_runtime
    entry_point     = "DeadLettered"
    service_account = local.builder_sa_id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = terraform_data.source_check.output
      }
    }
  }

  service_config {
    available_memory               = "512Mi"
    timeout_seconds                = 120
    max_instance_count             = lookup(var.max_instances, "DeadLettered", 2)
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.function_env
    # Out through the tenant's VPC and Cloud NAT's static address (network.tf).
    direct_vpc_egress = "VPC_EGRESS_ALL_TRAFFIC"
    direct_vpc_network_interface {
      network    = google_compute_network.egress.id
      subnetwork = google_compute_subnetwork.egress.id
    }
  }

  # Fed by the push subscription dead-lettered (deliveries.tf) from the
  # dead-letter topic.

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_sources,
  ]
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
