# Alerts: log-based metrics over the functions' JSON logs (slog: "msg" and
# "level" fields) and an alert policy on each, mailed to var.alert_emails.
# terraform/ops_test.go checks that the messages the filters match are the
# ones shared/etl logs.

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  project      = var.project_id
  display_name = "b2brecs ${var.tenant_id}: ${each.value}"
  type         = "email"
  user_labels  = local.labels

  labels = {
    email_address = each.value
  }

  depends_on = [google_project_service.enabled]
}

locals {
  functions_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for f in local.function_names : "\"${f}\""])})"
  function_names = keys(local.functions)

  alerts = {
    failed-runs = {
      title   = "ETL runs failed"
      filter  = "${local.functions_logs} AND jsonPayload.msg=~\"^etl: run failed\""
      summary = "An ETL run failed (its error is on the run's page in the web app, and in the log entry)."
    }
    dead-letters = {
      title   = "Events dead-lettered"
      filter  = "${local.functions_logs} AND jsonPayload.msg=\"etl: dead letter recorded\""
      summary = "Pub/Sub gave up delivering an event to a function; the run it was for has failed with the reason."
    }
    function-errors = {
      title   = "Function errors"
      filter  = "${local.functions_logs} AND (jsonPayload.level=\"ERROR\" OR severity>=ERROR OR httpRequest.status>=500)"
      summary = "A function logged an error or answered 5xx."
    }
  }
}

resource "google_logging_metric" "alert" {
  for_each = local.alerts

  project     = var.project_id
  name        = "b2brecs/${each.key}"
  description = each.value.summary
  filter      = each.value.filter

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "alert" {
  for_each = local.alerts

  project               = var.project_id
  display_name          = "b2brecs ${var.tenant_id}: ${each.value.title}"
  combiner              = "OR"
  notification_channels = [for c in google_monitoring_notification_channel.email : c.id]
  user_labels           = local.labels

  conditions {
    display_name = each.value.title

    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.alert[each.key].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    content   = "${each.value.summary} Tenant ${var.tenant_id}, project ${var.project_id}. See docs/cloud.md, Operations."
    mime_type = "text/markdown"
  }
}
