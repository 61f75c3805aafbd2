# Sign-in: Identity Platform in the tenant's own project, one project per
# tenant, so no Identity Platform multi-tenancy is needed: the project's
# user pool is the tenant's, and the API checks that an ID token was issued
# for this project (issuer and audience) and that its verified email is a
# user of the tenant (shared/auth). Email and password always; Google when
# an OAuth client is given. The web app signs in with the Firebase Auth JS
# SDK using the browser key below (restricted to the web app's origin and
# the Identity Toolkit API) and sends the ID token to /api.

resource "google_identity_platform_config" "auth" {
  project                    = var.project_id
  authorized_domains         = [var.web_domain, "${var.project_id}.firebaseapp.com"]
  autodelete_anonymous_users = true

  sign_in {
    allow_duplicate_emails = false

    email {
      enabled           = true
      password_required = true
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_identity_platform_default_supported_idp_config" "google" {
  count = var.google_oauth_client_id == null ? 0 : 1

  project       = var.project_id
  idp_id        = "google.com"
  client_id     = var.google_oauth_client_id
  client_secret = var.google_oauth_client_secret
  enabled       = true

  depends_on = [google_identity_platform_config.auth]
}

# The web app's browser key: Identity Toolkit only, from the web app only.
resource "google_apikeys_key" "web" {
  project      = var.project_id
  name         = "b2b-web"
  display_name = "b2brecs web app sign-in (${var.web_domain})"

  restrictions {
    browser_key_restrictions {
      allowed_referrers = ["${local.web_origin}/*"]
    }
    api_targets {
      service = "identitytoolkit.googleapis.com"
    }
  }

  depends_on = [google_project_service.enabled]
}
