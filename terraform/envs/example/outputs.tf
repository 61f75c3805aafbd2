output "tenants" {
  description = "Per tenant: project, API URL, SPA URL and buckets."
  value       = module.platform.tenants
}
