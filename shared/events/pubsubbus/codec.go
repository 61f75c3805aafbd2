package pubsubbus

import (
	"encoding/json"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/b2brecs/b2brecs/shared/errs"
	"github.com/b2brecs/b2brecs/shared/events"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// Pub/Sub attribute names of the CloudEvents Pub/Sub protocol binding.
const (
	AttrPrefix      = "ce-"
	AttrContentType = "Content-Type"
)

// MessagePublishedType is the Eventarc event type that wraps a Pub/Sub
// message.
const MessagePublishedType = "google.cloud.pubsub.topic.v1.messagePublished"

// EncodeMessage maps e to a Pub/Sub message in binary content mode: the data
// is the event data as is, and every context attribute and extension becomes
// a "ce-<name>" attribute holding its canonical string form. The data content
// type is written both as ce-datacontenttype and as Content-Type.
func EncodeMessage(e events.Event) (data []byte, attrs map[string]string, err error) {
	if err := e.Validate(); err != nil {
		return nil, nil, errs.Wrap(errs.Invalid, err, "pubsubbus: invalid event")
	}
	attrs = map[string]string{
		AttrPrefix + "specversion": e.SpecVersion(),
		AttrPrefix + "id":          e.ID(),
		AttrPrefix + "source":      e.Source(),
		AttrPrefix + "type":        e.Type(),
	}
	if !e.Time().IsZero() {
		attrs[AttrPrefix+"time"] = types.FormatTime(e.Time())
	}
	if s := e.Subject(); s != "" {
		attrs[AttrPrefix+"subject"] = s
	}
	if s := e.DataSchema(); s != "" {
		attrs[AttrPrefix+"dataschema"] = s
	}
	if ct := e.DataContentType(); ct != "" {
		attrs[AttrPrefix+"datacontenttype"] = ct
		attrs[AttrContentType] = ct
	}
	for name, v := range e.Extensions() {
		s, err := types.Format(v)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Invalid, err, "pubsubbus: extension %q", name)
		}
		attrs[AttrPrefix+name] = s
	}
	return e.Data(), attrs, nil
}

// DecodeMessage turns a Pub/Sub message back into a CloudEvent. A message
// with a ce-specversion attribute is read in binary mode; one whose
// Content-Type is application/cloudevents+json, or whose data is a JSON
// CloudEvent, in structured mode; a Cloud Storage notification (attribute
// payloadFormat) becomes the CloudEvent Eventarc makes of the same change
// (see DecodeStorageNotification). Anything else is errs.Invalid.
func DecodeMessage(data []byte, attrs map[string]string) (events.Event, error) {
	// Attribute names are case-insensitive.
	lower := make(map[string]string, len(attrs))
	for k, v := range attrs {
		lower[strings.ToLower(k)] = v
	}
	if sv, ok := lower[AttrPrefix+"specversion"]; ok {
		return decodeBinary(sv, data, lower)
	}
	if _, ok := lower[strings.ToLower(AttrPayloadFormat)]; ok {
		return decodeStorageNotification(data, lower)
	}
	ct := lower[strings.ToLower(AttrContentType)]
	if mt, _, _ := mime.ParseMediaType(ct); strings.HasPrefix(mt, "application/cloudevents") && mt != "application/cloudevents+json" {
		return events.Event{}, errs.E(errs.Unsupported, "pubsubbus: structured event format %q is not supported", mt)
	}
	return decodeStructured(data)
}

func decodeBinary(specVersion string, data []byte, attrs map[string]string) (events.Event, error) {
	if specVersion != cloudevents.CloudEventsVersionV1 {
		return events.Event{}, errs.E(errs.Invalid, "pubsubbus: unsupported CloudEvents specversion %q", specVersion)
	}
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	contentType := attrs[strings.ToLower(AttrContentType)]
	for k, v := range attrs {
		name, ok := strings.CutPrefix(k, AttrPrefix)
		if !ok {
			continue
		}
		switch name {
		case "specversion":
		case "id":
			e.SetID(v)
		case "source":
			e.SetSource(v)
		case "type":
			e.SetType(v)
		case "subject":
			e.SetSubject(v)
		case "dataschema":
			e.SetDataSchema(v)
		case "datacontenttype":
			contentType = v
		case "time":
			t, err := types.ParseTime(v)
			if err != nil {
				return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: attribute ce-time")
			}
			e.SetTime(t)
		default:
			if !cloudevents.IsExtensionNameValid(name) {
				return events.Event{}, errs.E(errs.Invalid, "pubsubbus: attribute %q is not a valid CloudEvents extension name", k)
			}
			e.SetExtension(name, v)
		}
	}
	if contentType != "" {
		e.SetDataContentType(contentType)
	}
	if len(data) > 0 {
		e.DataEncoded = data
	}
	if err := e.Validate(); err != nil {
		return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: message is not a valid CloudEvent")
	}
	return e, nil
}

func decodeStructured(data []byte) (events.Event, error) {
	var probe struct {
		SpecVersion string `json:"specversion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.SpecVersion == "" {
		return events.Event{}, errs.E(errs.Invalid, "pubsubbus: message has no ce-specversion attribute and its data is not a JSON CloudEvent")
	}
	var e events.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: structured CloudEvent")
	}
	if err := e.Validate(); err != nil {
		return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: structured CloudEvent")
	}
	return e, nil
}

// Attributes of a Cloud Storage Pub/Sub notification.
const (
	AttrPayloadFormat    = "payloadFormat"
	AttrEventType        = "eventType"
	AttrBucketID         = "bucketId"
	AttrObjectID         = "objectId"
	AttrObjectGeneration = "objectGeneration"
	AttrEventTime        = "eventTime"
)

// storageEventTypes maps a Cloud Storage notification's eventType to the
// CloudEvent type Eventarc gives the same change.
var storageEventTypes = map[string]string{
	"OBJECT_FINALIZE":        "google.cloud.storage.object.v1.finalized",
	"OBJECT_DELETE":          "google.cloud.storage.object.v1.deleted",
	"OBJECT_ARCHIVE":         "google.cloud.storage.object.v1.archived",
	"OBJECT_METADATA_UPDATE": "google.cloud.storage.object.v1.metadataUpdated",
}

// DecodeStorageNotification turns a Cloud Storage Pub/Sub notification
// (payload format JSON_API_V1: the data is the object resource) into the
// CloudEvent Eventarc delivers for the same change: type
// google.cloud.storage.object.v1.<change>, source
// //storage.googleapis.com/projects/_/buckets/<bucket>, subject
// objects/<name>, id <bucket>/<name>/<generation> (plus /<change> for
// changes other than finalize), time the notification's eventTime, and the
// object resource as data. A notification without the object (payload
// format NONE) or of another change is errs.Unsupported; one that lacks
// the bucket, object or generation is errs.Invalid.
func DecodeStorageNotification(data []byte, attrs map[string]string) (events.Event, error) {
	lower := make(map[string]string, len(attrs))
	for k, v := range attrs {
		lower[strings.ToLower(k)] = v
	}
	return decodeStorageNotification(data, lower)
}

func decodeStorageNotification(data []byte, attrs map[string]string) (events.Event, error) {
	get := func(name string) string { return attrs[strings.ToLower(name)] }
	if pf := get(AttrPayloadFormat); pf != "JSON_API_V1" {
		return events.Event{}, errs.E(errs.Unsupported, "pubsubbus: Cloud Storage notification with payload format %q: create the notification with JSON_API_V1", pf)
	}
	change := get(AttrEventType)
	typ, ok := storageEventTypes[change]
	if !ok {
		return events.Event{}, errs.E(errs.Unsupported, "pubsubbus: Cloud Storage notification of unknown change %q", change)
	}
	bucket, object, gen := get(AttrBucketID), get(AttrObjectID), get(AttrObjectGeneration)
	if bucket == "" || object == "" || gen == "" {
		return events.Event{}, errs.E(errs.Invalid, "pubsubbus: Cloud Storage notification without bucketId, objectId or objectGeneration")
	}
	if !json.Valid(data) {
		return events.Event{}, errs.E(errs.Invalid, "pubsubbus: Cloud Storage notification for %s/%s: the data is not the object resource in JSON", bucket, object)
	}
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	id := bucket + "/" + object + "/" + gen
	if change != "OBJECT_FINALIZE" {
		id += "/" + strings.ToLower(change)
	}
	e.SetID(id)
	e.SetType(typ)
	e.SetSource("//storage.googleapis.com/projects/_/buckets/" + bucket)
	e.SetSubject("objects/" + object)
	if t := get(AttrEventTime); t != "" {
		at, err := types.ParseTime(t)
		if err != nil {
			return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: Cloud Storage notification eventTime")
		}
		e.SetTime(at)
	}
	e.SetDataContentType("application/json")
	e.DataEncoded = append([]byte(nil), data...)
	if err := e.Validate(); err != nil {
		return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: Cloud Storage notification is not a valid CloudEvent")
	}
	return e, nil
}

// MessagePublishedData is the payload of an Eventarc
// google.cloud.pubsub.topic.v1.messagePublished event.
type MessagePublishedData struct {
	Message      PubsubMessage `json:"message"`
	Subscription string        `json:"subscription,omitempty"`
}

// PubsubMessage is a Pub/Sub message as Eventarc renders it in JSON.
type PubsubMessage struct {
	Data        []byte            `json:"data,omitempty"` // base64 in JSON
	Attributes  map[string]string `json:"attributes,omitempty"`
	MessageID   string            `json:"messageId,omitempty"`
	PublishTime time.Time         `json:"publishTime,omitzero"`
	OrderingKey string            `json:"orderingKey,omitempty"`
}

// FromMessagePublished unwraps the CloudEvent that was published to Pub/Sub
// (binary or structured mode) from the Eventarc messagePublished event that
// delivered it. If the inner event has no time, it gets the message's
// publish time. A malformed envelope or message is errs.Invalid.
func FromMessagePublished(e events.Event) (events.Event, error) {
	d, err := messageOf(e)
	if err != nil {
		return events.Event{}, err
	}
	return decodeDelivered(d.Message, d.Message.Attributes)
}

// messageOf reads the Pub/Sub message of a messagePublished event.
func messageOf(e events.Event) (MessagePublishedData, error) {
	if e.Type() != MessagePublishedType {
		return MessagePublishedData{}, errs.E(errs.Invalid, "pubsubbus: event type %q is not %s", e.Type(), MessagePublishedType)
	}
	var d MessagePublishedData
	if err := json.Unmarshal(e.Data(), &d); err != nil {
		return MessagePublishedData{}, errs.Wrap(errs.Invalid, err, "pubsubbus: messagePublished data")
	}
	if len(d.Message.Data) == 0 && len(d.Message.Attributes) == 0 {
		return MessagePublishedData{}, errs.E(errs.Invalid, "pubsubbus: messagePublished event %q carries no message", e.ID())
	}
	return d, nil
}

// decodeDelivered decodes a delivered message with the given attributes.
func decodeDelivered(m PubsubMessage, attrs map[string]string) (events.Event, error) {
	inner, err := DecodeMessage(m.Data, attrs)
	if err != nil {
		return events.Event{}, fmt.Errorf("pubsubbus: message %q: %w", m.MessageID, err)
	}
	if inner.Time().IsZero() && !m.PublishTime.IsZero() {
		// Publishers that cannot set a per-message time (Cloud Scheduler)
		// leave ce-time out; the publish time is the time of occurrence.
		inner.SetTime(m.PublishTime)
	}
	return inner, nil
}

// Attributes Pub/Sub adds to a message it forwards to a subscription's
// dead-letter topic.
const (
	AttrDeadLetterPrefix        = "CloudPubSubDeadLetter"
	AttrDeadLetterSubscription  = "CloudPubSubDeadLetterSourceSubscription"
	AttrDeadLetterDeliveryCount = "CloudPubSubDeadLetterSourceDeliveryCount"
)

// DeadLetterFromMessagePublished reads a message Pub/Sub forwarded to a
// dead-letter topic, as a function subscribed to that topic receives it:
// the event that was given up on, the subscription that gave up (its last
// path segment, which names the function) and how many deliveries it made.
// Pub/Sub does not say why the deliveries failed: LastError is empty.
func DeadLetterFromMessagePublished(e events.Event) (events.DeadLetter, error) {
	d, err := messageOf(e)
	if err != nil {
		return events.DeadLetter{}, err
	}
	attrs := make(map[string]string, len(d.Message.Attributes))
	for k, v := range d.Message.Attributes {
		if !strings.HasPrefix(k, AttrDeadLetterPrefix) {
			attrs[k] = v
		}
	}
	inner, err := decodeDelivered(d.Message, attrs)
	if err != nil {
		return events.DeadLetter{}, err
	}
	dl := events.DeadLetter{Event: inner, At: d.Message.PublishTime}
	if sub := d.Message.Attributes[AttrDeadLetterSubscription]; sub != "" {
		dl.Subscriber = sub[strings.LastIndexByte(sub, '/')+1:]
	}
	if n, err := strconv.Atoi(d.Message.Attributes[AttrDeadLetterDeliveryCount]); err == nil && n > 0 {
		dl.Attempts = n
	}
	if dl.At.IsZero() {
		dl.At = e.Time()
	}
	return dl, nil
}

// ToMessagePublished wraps a Pub/Sub message the way Eventarc does (for
// tests and the local platform): source
// //pubsub.googleapis.com/projects/P/topics/T, id = the message id.
func ToMessagePublished(topicName, subscription, messageID string, publishTime time.Time, data []byte, attrs map[string]string) (events.Event, error) {
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	e.SetID(messageID)
	e.SetType(MessagePublishedType)
	e.SetSource("//pubsub.googleapis.com/" + topicName)
	e.SetTime(publishTime)
	payload := MessagePublishedData{
		Message:      PubsubMessage{Data: data, Attributes: attrs, MessageID: messageID, PublishTime: publishTime},
		Subscription: subscription,
	}
	if err := e.SetData("application/json", payload); err != nil {
		return events.Event{}, errs.Wrap(errs.Invalid, err, "pubsubbus: encode messagePublished")
	}
	return e, nil
}
