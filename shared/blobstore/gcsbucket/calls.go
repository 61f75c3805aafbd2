package gcsbucket

import "github.com/b2brecs/b2brecs/shared/gcpcall"

// GoogleCalls are the Google API calls a gs:// bucket makes (through
// gcsblob and the signing of upload URLs). A signed upload URL acts as the
// account that signed it: the browser's upload is an objects.insert (and,
// for a file uploaded again under the same name, needs the delete
// permission to replace it) by the functions' account.
var GoogleCalls = []gcpcall.Call{
	{Method: "storage.objects.list", Permission: "storage.objects.list", On: gcpcall.Bucket},
	{Method: "storage.objects.get", Permission: "storage.objects.get", On: gcpcall.Bucket},
	{Method: "storage.objects.insert", Permission: "storage.objects.create", On: gcpcall.Bucket},
	{Method: "storage.objects.insert", Permission: "storage.objects.delete", On: gcpcall.Bucket}, // replacing an object
	{Method: "storage.objects.delete", Permission: "storage.objects.delete", On: gcpcall.Bucket},
	{Method: "iamcredentials.serviceAccounts.signBlob", Permission: "iam.serviceAccounts.signBlob", On: gcpcall.ServiceAccount},
}
