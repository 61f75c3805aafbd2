variable "project_id" {
  description = "The tenant's own Google Cloud project. It must exist with billing attached; modules/platform creates it, or pass an existing one."
  type        = string
}

variable "region" {
  description = "Region of the functions, buckets, BigQuery dataset, Eventarc triggers and Cloud Scheduler jobs."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Firestore location (a region or a multi-region such as eur3). Defaults to var.region."
  type        = string
  default     = null
}

variable "tenant_id" {
  description = "Tenant identifier, stamped on every stored object (B2B_TENANT_ID)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.tenant_id))
    error_message = "tenant_id must be 3-40 characters of lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "go_runtime" {
  description = "Cloud Functions Go runtime ID (go126 is Go 1.26, the version go.mod requires)."
  type        = string
  default     = "go126"
}

variable "function_source_archive" {
  description = "Local path of the zip made by scripts/package-functions.sh (dist/functions-source.zip). When set, Terraform uploads it to the sources bucket. Set this or function_source_object."
  type        = string
  default     = null
}

variable "function_source_object" {
  description = "Name of an archive already uploaded to the sources bucket (<project>-gcf-sources), e.g. by cloudbuild.yaml. Used when function_source_archive is null."
  type        = string
  default     = null
}

variable "staging_retention_days" {
  description = "Objects in the staging bucket (extracted Parquet parts) are deleted after this many days."
  type        = number
  default     = 7
}

variable "drop_retention_days" {
  description = "Objects in the drop bucket are deleted after this many days (0 keeps them forever)."
  type        = number
  default     = 0
}

variable "spa_public" {
  description = "Grant allUsers read access on the SPA bucket. The web app's load balancer (web.tf) reads the bucket as an anonymous client, so the web app needs this; set false only where an organisation policy forbids public buckets and another front end serves the files."
  type        = bool
  default     = true
}

variable "web_domain" {
  description = "Domain name of the web app (e.g. recs.example.com). An HTTPS load balancer serves the SPA on https://<web_domain> with a Google-managed certificate; it is the only browser origin the API and the drop bucket accept. Point a DNS A record at the web_ip output."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.web_domain))
    error_message = "web_domain must be a lower-case DNS name such as recs.example.com, without scheme, port or path."
  }
}

variable "web_cdn" {
  description = "Serve the web app through Cloud CDN, which follows the objects' Cache-Control: the hashed bundles are uploaded immutable, index.html and config.js no-cache."
  type        = bool
  default     = true
}

variable "google_oauth_client_id" {
  description = "OAuth client ID (a Web application client of the tenant's project, redirect URI https://<project>.firebaseapp.com/__/auth/handler) for \"Sign in with Google\"; null offers email and password only."
  type        = string
  default     = null
}

variable "google_oauth_client_secret" {
  description = "Secret of google_oauth_client_id."
  type        = string
  default     = null
  sensitive   = true
}

variable "upload_max_bytes" {
  description = "Largest file users can upload, in bytes (B2B_UPLOAD_MAX_BYTES). The browser uploads straight into the drop bucket through a signed URL that Cloud Storage enforces this limit on."
  type        = number
  default     = 2147483648

  validation {
    condition     = var.upload_max_bytes >= 1 && var.upload_max_bytes <= 5497558138880 && floor(var.upload_max_bytes) == var.upload_max_bytes
    error_message = "upload_max_bytes must be a whole number of bytes between 1 and 5 TiB."
  }
}

variable "api_public" {
  description = "Allow unauthenticated invocation of the API function at the Cloud Run level; the API itself checks Identity Platform ID tokens."
  type        = bool
  default     = true
}

variable "max_instances" {
  description = "Maximum instances per function, by entry point name; missing names use 10."
  type        = map(number)
  nullable    = false
  default = {
    API                = 20
    FileDropped        = 10
    RunRequested       = 10
    LoadRequested      = 5
    PartitionRequested = 20
  }
}

variable "labels" {
  description = "Labels added to every labelled resource."
  type        = map(string)
  default     = {}
}

variable "force_destroy" {
  description = "Allow Terraform to delete non-empty buckets and the dataset (for throw-away tenants only)."
  type        = bool
  default     = false
}

variable "max_delivery_attempts" {
  description = "Deliveries Pub/Sub makes of an event to a function before it forwards the event to the dead-letter topic, where the DeadLettered function records it and fails the run it was for (5 to 100)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (Pub/Sub's limits)."
  }
}

variable "sweep_schedule" {
  description = "When the run sweeper runs (cron, UTC): it requests again the runs no worker holds any more, and fails those whose attempts are spent. Keep it well under the run lease (B2B_RUN_LEASE, 10 minutes by default)."
  type        = string
  default     = "*/5 * * * *"
}

variable "datasets" {
  description = "BigQuery datasets of the tenant besides raw_data (the default destination of ETL jobs), by name => description. The functions may write tables in them but may not create datasets: an ETL job that names a dataset missing here fails with a message saying to add it."
  type        = map(string)
  default = {
    metadata = "Bookkeeping tables of the platform"
    datasets = "Datasets built in the web app (joins, features, statistics)"
    models   = "Model outputs: recommendations and evaluations"
  }

  validation {
    condition     = alltrue([for k in keys(var.datasets) : can(regex("^[A-Za-z_][A-Za-z0-9_]{0,1023}$", k)) && k != "raw_data"])
    error_message = "Dataset names are letters, digits and underscores, not starting with a digit; raw_data is always created."
  }
}

variable "egress_cidr" {
  description = "Address range of the functions' egress subnet (Direct VPC egress takes instance addresses from it; /26 or larger). It must not overlap the networks of customers the tenant connects to through peering or VPN."
  type        = string
  default     = "10.64.0.0/24"

  validation {
    condition     = can(cidrhost(var.egress_cidr, 0)) && tonumber(split("/", var.egress_cidr)[1]) <= 26
    error_message = "egress_cidr must be an IPv4 range of /26 or larger, e.g. 10.64.0.0/24."
  }
}

variable "alert_emails" {
  description = "Who is mailed when runs fail, events are dead-lettered or functions fail (monitoring.tf)."
  type        = list(string)
  default     = []
}

variable "pipeline_retention_days" {
  description = "Objects under the Vertex AI pipeline root are deleted after this many days."
  type        = number
  default     = 30
}
