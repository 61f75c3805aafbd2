variable "admin_project" {
  description = "Project that pays for API quota of the calls Terraform makes (the platform's admin project)."
  type        = string
}

variable "billing_account" {
  description = "Billing account attached to the tenant projects."
  type        = string
}

variable "folder_id" {
  description = "Folder that holds the tenant projects."
  type        = string
}

variable "tenants" {
  description = "Tenants by id (see modules/platform's tenants variable): each needs at least web_domain, and project_id with create_project = false for a project that exists. scripts/onboard-tenant.sh keeps them in tenants.auto.tfvars.json."
  type        = any
  default     = {}
}

variable "region" {
  description = "Default region."
  type        = string
  default     = "europe-west1"
}

variable "function_source_archive" {
  description = "Path of the packaged functions (run `make package` first)."
  type        = string
  default     = "../../../dist/functions-source.zip"
}

variable "function_source_object" {
  description = "Name of an archive already in every tenant's sources bucket; when non-empty it is used instead of function_source_archive."
  type        = string
  default     = ""
}
