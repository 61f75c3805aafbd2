variable "billing_account" {
  description = "Billing account ID attached to every tenant project (XXXXXX-XXXXXX-XXXXXX)."
  type        = string
}

variable "folder_id" {
  description = "Folder (numeric ID) that holds the tenant projects. Set this or org_id."
  type        = string
  default     = null
}

variable "org_id" {
  description = "Organisation ID that holds the tenant projects when folder_id is null."
  type        = string
  default     = null
}

variable "project_prefix" {
  description = "Tenant project IDs are <project_prefix>-<tenant id> unless a tenant sets project_id."
  type        = string
  default     = "b2brecs"
}

variable "default_region" {
  description = "Region used by tenants that do not set their own."
  type        = string
  default     = "europe-west1"
}

variable "function_source_archive" {
  description = "Local path of dist/functions-source.zip (scripts/package-functions.sh), uploaded into each tenant. Set this or function_source_object."
  type        = string
  default     = null
}

variable "function_source_object" {
  description = "Name of an archive already uploaded to every tenant's sources bucket (cloudbuild.yaml does this)."
  type        = string
  default     = null
}

variable "tenants" {
  description = "Tenants by ID. Each gets its own project, created here unless project_id names an existing one (create_project = false), and its web app on https://<web_domain>."
  type = map(object({
    display_name           = optional(string)
    project_id             = optional(string)
    create_project         = optional(bool, true)
    region                 = optional(string)
    firestore_location     = optional(string)
    staging_retention_days = optional(number, 7)
    spa_public             = optional(bool, true)
    web_domain             = string
    web_cdn                = optional(bool, true)
    google_oauth_client_id = optional(string) # "Sign in with Google" (secret in google_oauth_client_secrets)
    alert_emails           = optional(list(string), [])
    monthly_budget         = optional(number, 100) # in budget_currency; alerts at 50, 90 and 100 %
    egress_cidr            = optional(string)
    upload_max_bytes       = optional(number, 2147483648)
    api_public             = optional(bool, true)
    max_instances          = optional(map(number))
    labels                 = optional(map(string), {})
  }))
  default = {}

  # A project is a tenant's isolation boundary: its accounts, buckets,
  # datasets and secrets are granted inside it only.
  validation {
    condition     = length(distinct([for id, t in var.tenants : coalesce(t.project_id, "${var.project_prefix}-${id}")])) == length(var.tenants)
    error_message = "Two tenants would share a project: give each tenant a project of its own (project_id)."
  }
}

variable "labels" {
  description = "Labels added to every tenant's resources."
  type        = map(string)
  default     = {}
}

variable "google_oauth_client_secrets" {
  description = "Per tenant id, the secret of the OAuth client named by the tenant's google_oauth_client_id."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "budget_currency" {
  description = "Currency of the tenants' monthly_budget: the billing account's currency."
  type        = string
  default     = "USD"
}
