package tabular

import (
	"io"
	"sync"
)

// aheadReader reads its source in a goroutine, up to depth buffers ahead,
// so that decompression and decoding run on another core than parsing.
// Close stops the goroutine and waits for it, so that the source is not
// touched after Close returns.
type aheadReader struct {
	ch     chan aheadChunk
	free   chan []byte
	done   chan struct{}
	exited chan struct{}
	once   sync.Once
	cur    []byte
	buf    []byte
	err    error
}

type aheadChunk struct {
	b   []byte
	err error
}

func newAheadReader(r io.Reader, size, depth int) *aheadReader {
	a := &aheadReader{
		ch:     make(chan aheadChunk, depth),
		free:   make(chan []byte, depth+1),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	for range depth + 1 {
		a.free <- make([]byte, size)
	}
	go a.run(r)
	return a
}

func (a *aheadReader) run(r io.Reader) {
	defer close(a.exited)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.done:
			return
		}
		n := 0
		var err error
		for n < len(b) && err == nil {
			var m int
			m, err = r.Read(b[n:])
			n += m
		}
		select {
		case a.ch <- aheadChunk{b: b[:n], err: err}:
		case <-a.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)]
			a.buf = nil
		}
		c := <-a.ch
		a.buf, a.cur, a.err = c.b, c.b, c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the read-ahead and waits until the goroutine is done with
// the source.
func (a *aheadReader) Close() {
	a.once.Do(func() { close(a.done) })
	<-a.exited
}
