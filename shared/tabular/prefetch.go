package tabular

import "sync"

// prefetch fills batches of type B in a goroutine, up to aheadDepth
// batches ahead of their reader, in order: the pipeline under rowsAhead
// (CSV records) and typedAhead (a RowSource's rows). fill fills a batch
// handed back by put (or a new one) and reports whether it was the last;
// next returns the next filled batch; close stops the goroutine and waits
// for it, so that whatever fill reads is not touched after close returns.
type prefetch[B any] struct {
	ch     chan *B
	free   chan *B
	done   chan struct{}
	exited chan struct{}
	once   sync.Once
}

func startPrefetch[B any](fill func(b *B) (last bool)) *prefetch[B] {
	p := &prefetch[B]{
		ch:     make(chan *B, aheadDepth),
		free:   make(chan *B, aheadDepth+2),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	for range aheadDepth + 2 {
		p.free <- new(B)
	}
	go p.run(fill)
	return p
}

func (p *prefetch[B]) run(fill func(b *B) bool) {
	defer close(p.exited)
	for {
		var b *B
		select {
		case b = <-p.free:
		case <-p.done:
			return
		}
		last := fill(b)
		select {
		case p.ch <- b:
		case <-p.done:
			return
		}
		if last {
			return
		}
	}
}

// next returns the next filled batch (after the last one, it blocks:
// the reader stops at the batch fill called last).
func (p *prefetch[B]) next() *B { return <-p.ch }

// put hands a batch the reader is done with back to be filled again.
func (p *prefetch[B]) put(b *B) { p.free <- b }

// close stops the goroutine and waits until it is done.
func (p *prefetch[B]) close() {
	p.once.Do(func() { close(p.done) })
	<-p.exited
}
