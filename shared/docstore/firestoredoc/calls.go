package firestoredoc

import "github.com/b2brecs/b2brecs/shared/gcpcall"

// GoogleCalls are the Firestore API calls of this driver (gRPC).
// Firestore checks its permissions on the project (datastore.*).
var GoogleCalls = []gcpcall.Call{
	{Method: "firestore.documents.batchGet", Permission: "datastore.entities.get", On: gcpcall.Project},
	{Method: "firestore.documents.runQuery", Permission: "datastore.entities.list", On: gcpcall.Project},
	{Method: "firestore.documents.beginTransaction", Permission: "datastore.databases.get", On: gcpcall.Project},
	{Method: "firestore.documents.commit", Permission: "datastore.entities.create", On: gcpcall.Project},
	{Method: "firestore.documents.commit", Permission: "datastore.entities.update", On: gcpcall.Project},
	{Method: "firestore.documents.commit", Permission: "datastore.entities.delete", On: gcpcall.Project},
	{Method: "firestore.documents.rollback", Permission: "datastore.databases.get", On: gcpcall.Project},
}
