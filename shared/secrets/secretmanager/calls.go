package secretmanager

import "github.com/b2brecs/b2brecs/shared/gcpcall"

// GoogleCalls are the Secret Manager API calls of this driver.
var GoogleCalls = []gcpcall.Call{
	{Method: "secretmanager.secrets.create", Permission: "secretmanager.secrets.create", On: gcpcall.Project},
	{Method: "secretmanager.secrets.addVersion", Permission: "secretmanager.versions.add", On: gcpcall.Project},
	{Method: "secretmanager.secrets.versions.access", Permission: "secretmanager.versions.access", On: gcpcall.Project},
	{Method: "secretmanager.secrets.delete", Permission: "secretmanager.secrets.delete", On: gcpcall.Project},
}
