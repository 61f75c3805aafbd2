# The web app's own origin: an HTTPS load balancer in front of the SPA
# bucket, with a Google-managed certificate for var.web_domain. It is the
# only browser origin the API (B2B_ALLOWED_ORIGINS) and the drop bucket
# (CORS, for uploads straight from the browser) accept. The origin of
# storage.googleapis.com, which every public bucket shares, is trusted
# nowhere.
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

resource "google_compute_url_map" "web" {
  project         = var.project_id
  name            = "b2b-web"
  description     = "Every path of the web app's domain goes to the SPA bucket."
  default_service = google_compute_backend_bucket.web.id
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
