terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 7.20: Direct VPC egress of 2nd gen functions (network.tf) is GA.
      version = ">= 7.20, < 8.0"
    }
  }
}
