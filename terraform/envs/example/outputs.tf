output "tenants" {
  description = "Per tenant: project, API URL, web app URL and address (web_ip: the DNS A record of its domain), and buckets."
  value       = module.platform.tenants
}
