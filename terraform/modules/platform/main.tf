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
  alert_emails               = each.value.alert_emails
  egress_cidr                = coalesce(each.value.egress_cidr, "10.64.0.0/24")
  function_source_archive    = var.function_source_archive
  function_source_object     = var.function_source_object
}

# A monthly budget per tenant project, on the platform's billing account:
# e-mails the billing account's admins and the tenant's alert channels at
# 50, 90 and 100 % of monthly_budget (and at 100 % of the forecast).
resource "google_billing_budget" "tenant" {
  for_each = var.tenants

  billing_account = var.billing_account
  display_name    = substr("b2brecs ${each.key}", 0, 60)

  budget_filter {
    projects = ["projects/${module.tenant[each.key].project_number}"]
  }

  amount {
    specified_amount {
      currency_code = var.budget_currency
      units         = tostring(floor(each.value.monthly_budget))
    }
  }

  dynamic "threshold_rules" {
    for_each = [0.5, 0.9, 1.0]
    content {
      threshold_percent = threshold_rules.value
    }
  }

  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = module.tenant[each.key].notification_channels
    disable_default_iam_recipients   = false
  }
}
