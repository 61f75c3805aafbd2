terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 7.20: Direct VPC egress of 2nd gen functions (network.tf) is GA.
      version = ">= 7.20, < 8.0"
    }
  }

  # State: local by default. For a shared deployment keep it in a bucket of
  # the platform's admin project:
  # backend "gcs" {
  #   bucket = "my-admin-project-tfstate"
  #   prefix = "b2brecs/example"
  # }
}

provider "google" {
  region                = var.region
  user_project_override = true
  billing_project       = var.admin_project
}
