# Fixed egress: every function sends its traffic into the tenant's VPC
# (Direct VPC egress: no connector instances, so nothing runs at idle), and
# Cloud NAT sends what leaves the VPC from one reserved static address, the
# egress_ip output a customer allow-lists on its database's firewall. The
# outbound policy of the code (B2B_CONNECT_ALLOW, shared/egress) still
# decides which addresses a connection may reach at all. Google APIs are
# reached through Private Google Access on the subnet.

resource "google_compute_network" "egress" {
  project                 = var.project_id
  name                    = "b2b-egress"
  description             = "Egress network of the b2brecs functions (tenant ${var.tenant_id})."
  auto_create_subnetworks = false

  depends_on = [google_project_service.enabled]
}

# Direct VPC egress takes addresses for instances from this range: /26 is
# the smallest it accepts.
resource "google_compute_subnetwork" "egress" {
  project                  = var.project_id
  name                     = "b2b-egress"
  region                   = var.region
  network                  = google_compute_network.egress.id
  ip_cidr_range            = var.egress_cidr
  private_ip_google_access = true
}

resource "google_compute_address" "egress" {
  project      = var.project_id
  name         = "b2b-egress"
  region       = var.region
  description  = "The one address b2brecs connects to customers' databases from (tenant ${var.tenant_id})."
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  labels       = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_compute_router" "egress" {
  project = var.project_id
  name    = "b2b-egress"
  region  = var.region
  network = google_compute_network.egress.id
}

resource "google_compute_router_nat" "egress" {
  project                            = var.project_id
  name                               = "b2b-egress"
  region                             = var.region
  router                             = google_compute_router.egress.name
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = [google_compute_address.egress.self_link]
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.egress.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
