output "tenants" {
  description = "Per tenant: project, API URL, web app URL and address, the egress address customers allow-list, and bucket names."
  value = {
    for id, t in module.tenant : id => {
      project_id = t.project_id
      api_url    = t.api_url
      spa_url    = t.spa_url
      web_ip     = t.web_ip
      egress_ip  = t.egress_ip
      buckets    = t.buckets
    }
  }
}
