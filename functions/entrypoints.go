// Package functions holds the Cloud Functions entry points of b2brecs. Each
// is a thin adapter over shared/ packages. The table below is the single
// source of truth for what is deployed and what serves it: init registers
// every entry's handler with functions-framework-go from it, Terraform
// declares one function per entry (checked by a test that evaluates
// terraform/), and the local platform mounts the same handlers
// (EventHandlers, DeadLetterHandler).
package functions

import (
	"context"
	"net/http"

	"github.com/b2brecs/b2brecs/eventschemas"
	"github.com/b2brecs/b2brecs/shared/etl"
	"github.com/b2brecs/b2brecs/shared/events"
	"github.com/b2brecs/b2brecs/shared/platform"
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
	// Handler serves the entry point over an assembled platform.
	Handler Handler
}

// Handler is what serves an entry point, over an assembled platform:
// exactly one field is set, the one its trigger calls for (HTTP for
// TriggerHTTP, DeadLetter for the dead-letter recorder, Event for the
// other event functions).
type Handler struct {
	HTTP       func(p *platform.Platform) http.Handler
	Event      func(p *platform.Platform) events.Handler
	DeadLetter func(p *platform.Platform) func(context.Context, events.DeadLetter) error
}

// Entrypoints lists every function this package registers.
func Entrypoints() []Entrypoint {
	return []Entrypoint{
		{Name: "API", Trigger: TriggerHTTP,
			Handler: Handler{HTTP: func(p *platform.Platform) http.Handler { return p.API() }}},
		{Name: "FileDropped", Trigger: TriggerGCS, EventType: eventschemas.TypeObjectFinalized, Bucket: etl.BucketDrop, Topic: eventschemas.TopicObjectDropped,
			Handler: Handler{Event: func(p *platform.Platform) events.Handler { return p.ETL.HandleObjectFinalized }}},
		{Name: "RunRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicRunRequested,
			Handler: Handler{Event: func(p *platform.Platform) events.Handler { return p.ETL.HandleRunRequested }}},
		{Name: "PartitionRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicPartitionRequested,
			Handler: Handler{Event: func(p *platform.Platform) events.Handler { return p.ETL.HandlePartitionRequested }}},
		{Name: "LoadRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicLoadRequested,
			Handler: Handler{Event: func(p *platform.Platform) events.Handler { return p.ETL.HandleLoadRequested }}},
		{Name: "SweepRequested", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicSweepRequested,
			Handler: Handler{Event: func(p *platform.Platform) events.Handler { return p.ETL.HandleSweepRequested }}},
		{Name: "DeadLettered", Trigger: TriggerPubSub, EventType: eventschemas.TypeMessagePublished, Topic: eventschemas.TopicDeadLetter, DeadLetters: true,
			Handler: Handler{DeadLetter: func(p *platform.Platform) func(context.Context, events.DeadLetter) error {
				return p.ETL.RecordDeadLetter
			}}},
	}
}
