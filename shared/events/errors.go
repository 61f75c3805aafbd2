package events

import "github.com/b2brecs/b2brecs/shared/errs"

func errUnsupported(topic string) error {
	return errs.E(errs.Unsupported, "events: this bus delivers through cloud triggers; cannot subscribe to %q in-process", topic)
}
