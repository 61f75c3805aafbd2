package pubsubbus

import "github.com/b2brecs/b2brecs/shared/gcpcall"

// GoogleCalls are the Pub/Sub API calls of this driver: it only publishes
// (the functions receive their events from push subscriptions).
var GoogleCalls = []gcpcall.Call{
	{Method: "pubsub.topics.publish", Permission: "pubsub.topics.publish", On: gcpcall.Topic},
}
