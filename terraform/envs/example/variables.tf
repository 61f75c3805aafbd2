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

variable "web_domain" {
  description = "Domain name of the example tenant's web app (e.g. recs.acme.example.com); point its DNS A record at the web_ip output."
  type        = string
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
