package eventschemas

// Topic names, one per event type family: they belong with the event
// types they carry, not to the events port (which moves bytes between
// topics it does not know). The cloud driver maps a topic to a Pub/Sub
// topic of the same name in the tenant project; Terraform declares them.
const (
	TopicRunRequested  = "etl-run-requested"
	TopicLoadRequested = "etl-load-requested"
	// TopicPartitionRequested carries the partitions of partitioned runs.
	TopicPartitionRequested = "etl-partition-requested"
	TopicRunFinished        = "etl-run-finished"
	// TopicObjectDropped carries the drop buckets' object notifications.
	TopicObjectDropped = "object-finalized"
	// TopicSweepRequested carries the run sweeper's schedule ticks.
	TopicSweepRequested = "etl-sweep-requested"
	// TopicDeadLetter receives the deliveries the subscriptions of the
	// functions gave up on (Pub/Sub's dead-letter policy in the cloud; the
	// in-process bus hands them to its OnDeadLetter callback instead).
	TopicDeadLetter = "etl-dead-letter"
)
