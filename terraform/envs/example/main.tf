# Example root module: the platform and its tenants.
#
# Settings live in terraform.tfvars (copy terraform.tfvars.example); the
# tenants in tenants.auto.tfvars.json, one entry per tenant, which
# scripts/onboard-tenant.sh NAME PROJECT adds to before it applies:
#
#   scripts/onboard-tenant.sh acme acme-recs-prod   # see docs/cloud.md

module "platform" {
  source = "../../modules/platform"

  billing_account         = var.billing_account
  folder_id               = var.folder_id
  project_prefix          = "b2brecs"
  default_region          = var.region
  function_source_archive = var.function_source_object == "" ? var.function_source_archive : null
  function_source_object  = var.function_source_object == "" ? null : var.function_source_object

  tenants = var.tenants
}
