// Package functions holds the Cloud Functions entry points of b2brecs. Each
// is a thin adapter over shared/ packages, registered with
// functions-framework-go in init. The table below is the single source of
// truth for what is deployed: Terraform declares one function per entry
// (checked by a test that parses terraform/), and the local platform mounts
// the same handlers.
package functions

import (
	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
)

// Trigger kinds. Event functions are fed by a Pub/Sub push subscription
// with a dead-letter policy (Terraform declares one per function); the
// functions framework turns each push into a messagePublished CloudEvent.
const (
	TriggerHTTP   = "http"
	TriggerPubSub = "pubsub" // a topic's messages (CloudEvents in binary mode)
	TriggerGCS    = "gcs"    // a bucket's object notifications (JSON_API_V1), read as google.cloud.storage.object.v1.finalized
)

// Entrypoint describes one deployable function.
type Entrypoint struct {
	// Name is the functions-framework entry point (and Cloud Function name
	// suffix, lower-cased with dashes).
	Name string
	// Trigger is TriggerHTTP, TriggerPubSub or TriggerGCS.
	Trigger string
	// EventType is the type of the CloudEvent the function receives: a
	// messagePublished (a push of its topic), or for storage entry points
	// the object event its notifications are read as.
	EventType string
	// Topic is the Pub/Sub topic for TriggerPubSub.
	Topic string
	// Bucket is the tenant bucket role ("drop") for TriggerGCS: its
	// object notifications go to the Pub/Sub topic Topic.
	Bucket string
	// DeadLetters marks the function that records the deliveries the other
	// functions' subscriptions gave up on (it reads the dead-letter topic;
	// the in-process bus hands them to the same recorder directly).
	DeadLetters bool
}

// Entrypoints lists every function this package registers.
func Entrypoints() []Entrypoint {
	return []Entrypoint{
		{Name: "API", Trigger: TriggerHTTP},
		{Name: "FileDropped", Trigger: TriggerGCS, EventType: eventschemas.TypeObjectFinalized, Bucket: etl.BucketDrop, Topic: eventschemas.TopicObjectDropped},
		{Name: "RunRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicRunRequested},
		{Name: "LoadRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicLoadRequested},
		{Name: "SweepRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicSweepRequested},
		{Name: "DeadLettered", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicDeadLetter, DeadLetters: true},
	}
}
