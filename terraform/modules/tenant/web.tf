# The web app's own origin: an HTTPS load balancer with a Google-managed
# certificate for var.web_domain, serving the SPA bucket (through Cloud CDN)
# and, under /api, the API function through a serverless network endpoint
# group. The web app and its API share the origin, so the browser needs no
# CORS for the API at all; the API function takes traffic from the load
# balancer only (ingress ALLOW_INTERNAL_AND_GCLB). It is the only browser
# origin the API (B2B_ALLOWED_ORIGINS) and the drop bucket (CORS, for
# uploads straight from the browser) accept. The origin of
# storage.googleapis.com, which every public bucket shares, is trusted
# nowhere.
#
# Caching: Cloud CDN follows the objects' Cache-Control (USE_ORIGIN_HEADERS).
# The bundles have content-hashed names and are uploaded immutable for a
# year; index.html and config.js (below, the runtime settings Terraform
# writes) are no-cache, so a new release is seen at once.
#
# DNS: point an A record of var.web_domain at the web_ip output. Google
# issues the certificate once the name resolves to the load balancer (this
# can take up to an hour); until then HTTPS answers with a handshake error.

locals {
  web_origin = "https://${var.web_domain}"
}

resource "google_compute_global_address" "web" {
  project     = var.project_id
  name        = "b2b-web"
  description = "Address of the web app (${var.web_domain})."

  depends_on = [google_project_service.enabled]
}

# The load balancer reads the SPA bucket's objects as an anonymous client
# and follows its website settings (index.html for / and unknown paths).
resource "google_compute_backend_bucket" "web" {
  project     = var.project_id
  name        = "b2b-web"
  description = "The web app: static files of the SPA bucket."
  bucket_name = google_storage_bucket.spa.name
  enable_cdn  = var.web_cdn

  dynamic "cdn_policy" {
    for_each = var.web_cdn ? [1] : []
    content {
      cache_mode       = "USE_ORIGIN_HEADERS"
      negative_caching = false
    }
  }

  custom_response_headers = [
    "Strict-Transport-Security: max-age=31536000",
    "X-Content-Type-Options: nosniff",
    "X-Frame-Options: DENY",
    "Referrer-Policy: strict-origin-when-cross-origin",
  ]

  depends_on = [google_project_service.enabled]
}

# A certificate cannot change its domains in place: a new domain makes a
# new certificate (the name carries a hash of it), created before the old
# one is removed from the proxy.
resource "google_compute_managed_ssl_certificate" "web" {
  project = var.project_id
  name    = "b2b-web-${substr(md5(var.web_domain), 0, 8)}"

  managed {
    domains = [var.web_domain]
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.enabled]
}

# /api on the web app's origin: the API function's Cloud Run service (a
# 2nd gen function runs as the Cloud Run service of the same name).
resource "google_compute_region_network_endpoint_group" "api" {
  project               = var.project_id
  name                  = "b2b-api"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloudfunctions2_function.function["api"].name
  }
}

resource "google_compute_backend_service" "api" {
  project               = var.project_id
  name                  = "b2b-api"
  description           = "The API function, under /api of the web app's domain."
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL"
  enable_cdn            = false

  backend {
    group = google_compute_region_network_endpoint_group.api.id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }

  custom_response_headers = [
    "Strict-Transport-Security: max-age=31536000",
    "X-Content-Type-Options: nosniff",
  ]
}

resource "google_compute_url_map" "web" {
  project         = var.project_id
  name            = "b2b-web"
  description     = "The web app's domain: /api to the API function, every other path to the SPA bucket."
  default_service = google_compute_backend_bucket.web.id

  host_rule {
    hosts        = [var.web_domain]
    path_matcher = "web"
  }

  path_matcher {
    name            = "web"
    default_service = google_compute_backend_bucket.web.id

    path_rule {
      paths   = ["/api", "/api/*"]
      service = google_compute_backend_service.api.id
    }
  }
}

resource "google_compute_target_https_proxy" "web" {
  project          = var.project_id
  name             = "b2b-web"
  url_map          = google_compute_url_map.web.id
  ssl_certificates = [google_compute_managed_ssl_certificate.web.id]
}

resource "google_compute_global_forwarding_rule" "web_https" {
  project               = var.project_id
  name                  = "b2b-web-https"
  target                = google_compute_target_https_proxy.web.id
  ip_address            = google_compute_global_address.web.id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL"
  labels                = local.labels
}

# Plain HTTP on the same address only redirects to HTTPS.
resource "google_compute_url_map" "web_redirect" {
  project     = var.project_id
  name        = "b2b-web-redirect"
  description = "Redirects http:// to https:// on the web app's domain."

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "web_redirect" {
  project = var.project_id
  name    = "b2b-web-redirect"
  url_map = google_compute_url_map.web_redirect.id
}

resource "google_compute_global_forwarding_rule" "web_http" {
  project               = var.project_id
  name                  = "b2b-web-http"
  target                = google_compute_target_http_proxy.web_redirect.id
  ip_address            = google_compute_global_address.web.id
  port_range            = "80"
  load_balancing_scheme = "EXTERNAL"
  labels                = local.labels
}

# Runtime settings of the web app (static/public/config.js is the local
# default; the SPA reads window.B2B_CONFIG before it starts): the API on the
# same origin, and the Identity Platform sign-in (identity.tf). Written by
# Terraform, so a release of the SPA never overwrites it (cloudbuild.yaml
# leaves config.js out of its upload), and never cached.
locals {
  web_config = {
    apiBase = "/api"
    auth = {
      mode       = "identity-platform"
      apiKey     = google_apikeys_key.web.key_string
      authDomain = "${var.project_id}.firebaseapp.com"
      projectId  = var.project_id
      providers  = concat(["password"], var.google_oauth_client_id == null ? [] : ["google.com"])
    }
  }
}

resource "google_storage_bucket_object" "web_config" {
  bucket        = google_storage_bucket.spa.name
  name          = "config.js"
  content_type  = "text/javascript; charset=utf-8"
  cache_control = "no-cache, max-age=0"
  content       = "// Written by Terraform (terraform/modules/tenant/web.tf). Do not edit.\nwindow.B2B_CONFIG = ${jsonencode(local.web_config)};\n"
}
