# Shared wiring: one Google Cloud project per tenant, created under a folder
# (or the organisation) with the platform's billing account, then filled by
# modules/tenant. Tenants whose project already exists set create_project =
# false and project_id.

locals {
  tenant_projects = {
    for id, t in var.tenants : id => coalesce(t.project_id, "${var.project_prefix}-${id}")
  }
  created = { for id, t in var.tenants : id => t if t.create_project }
}

resource "google_project" "tenant" {
  for_each = local.created

  project_id      = local.tenant_projects[each.key]
  name            = substr(coalesce(each.value.display_name, "b2brecs ${each.key}"), 0, 30)
  folder_id       = var.folder_id
  org_id          = var.folder_id == null ? var.org_id : null
  billing_account = var.billing_account
  deletion_policy = "PREVENT"
  labels          = merge({ app = "b2brecs", tenant = each.key }, var.labels, each.value.labels)

  lifecycle {
    precondition {
      condition     = var.folder_id != null || var.org_id != null
      error_message = "Set folder_id or org_id to create tenant projects."
    }
  }
}

module "tenant" {
  source   = "../tenant"
  for_each = var.tenants

  # Referencing google_project makes the tenant wait for its project.
  project_id                 = each.value.create_project ? google_project.tenant[each.key].project_id : local.tenant_projects[each.key]
  tenant_id                  = each.key
  region                     = coalesce(each.value.region, var.default_region)
  firestore_location         = each.value.firestore_location
  staging_retention_days     = each.value.staging_retention_days
  spa_public                 = each.value.spa_public
  web_domain                 = each.value.web_domain
  web_cdn                    = each.value.web_cdn
  upload_max_bytes           = each.value.upload_max_bytes
  api_public                 = each.value.api_public
  max_instances              = each.value.max_instances # null: the tenant module's defaults
  labels                     = merge(var.labels, each.value.labels)
  google_oauth_client_id     = each.value.google_oauth_client_id
  google_oauth_client_secret = lookup(var.google_oauth_client_secrets, each.key, null)
  function_source_archive    = var.function_source_archive
  function_source_object     = var.function_source_object
}
