# Example root module: the platform with one tenant.
#
#   make package                      # dist/functions-source.zip
#   cd terraform/envs/example
#   cp terraform.tfvars.example terraform.tfvars   # and edit
#   terraform init && terraform apply

module "platform" {
  source = "../../modules/platform"

  billing_account         = var.billing_account
  folder_id               = var.folder_id
  project_prefix          = "b2brecs"
  default_region          = var.region
  function_source_archive = var.function_source_object == "" ? var.function_source_archive : null
  function_source_object  = var.function_source_object == "" ? null : var.function_source_object

  tenants = {
    acme = {
      display_name = "b2brecs ACME Supplies"
      web_domain   = var.web_domain
      labels       = { env = "example" }
    }
  }
}
