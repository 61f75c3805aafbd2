// Package data turns order history into the compact index space the
// recommendation models work in: an interaction log with string vocabularies,
// the cleaning rules of a protocol, time-based splits into a training
// catalogue and a test period, and user × item matrices (binary, counts,
// log-counts, recency-weighted) in CSR form.
//
// Indices follow first appearance: the first product seen in the training
// rows is item 0, and so on. Evaluation breaks score ties by the lower index,
// which is the protocol's "earlier first appearance first".
package data

import (
	"math"
	"time"
)

// Vocab maps strings to dense int32 ids in first-appearance order.
type Vocab struct {
	ids   map[string]int32
	names []string
}

// NewVocab returns an empty vocabulary.
func NewVocab() *Vocab { return &Vocab{ids: make(map[string]int32)} }

// Add returns the id of s, adding it if it is new.
func (v *Vocab) Add(s string) int32 {
	if id, ok := v.ids[s]; ok {
		return id
	}
	id := int32(len(v.names))
	v.ids[s] = id
	v.names = append(v.names, s)
	return id
}

// ID returns the id of s, or -1 when s is out of the vocabulary.
func (v *Vocab) ID(s string) int32 {
	if id, ok := v.ids[s]; ok {
		return id
	}
	return -1
}

// Name returns the string of id.
func (v *Vocab) Name(id int32) string { return v.names[id] }

// Names returns every string in id order. The slice must not be modified.
func (v *Vocab) Names() []string { return v.names }

// Len is the number of strings.
func (v *Vocab) Len() int { return len(v.names) }

// Log is an interaction log in columnar form: one entry per order line, in
// the order the lines were read (chronological for the protocol's data).
// Strings are interned in the vocabularies; Country is the customer's
// country (or any customer-level category) and may be -1 when unknown.
type Log struct {
	Customers, Products, Invoices, Countries *Vocab

	Cust, Prod, Inv, Country []int32
	Time                     []int64 // unix seconds, UTC
	Qty, Price               []float32
}

// NewLog returns an empty log.
func NewLog() *Log {
	return &Log{Customers: NewVocab(), Products: NewVocab(), Invoices: NewVocab(), Countries: NewVocab()}
}

// Event is one order line before interning.
type Event struct {
	Customer, Product, Invoice, Country string
	Time                                time.Time
	Quantity, Price                     float64
}

// Append adds one line.
func (l *Log) Append(e Event) {
	l.Cust = append(l.Cust, l.Customers.Add(e.Customer))
	l.Prod = append(l.Prod, l.Products.Add(e.Product))
	l.Inv = append(l.Inv, l.Invoices.Add(e.Invoice))
	c := int32(-1)
	if e.Country != "" {
		c = l.Countries.Add(e.Country)
	}
	l.Country = append(l.Country, c)
	l.Time = append(l.Time, e.Time.Unix())
	l.Qty = append(l.Qty, float32(e.Quantity))
	l.Price = append(l.Price, float32(e.Price))
}

// Len is the number of lines.
func (l *Log) Len() int { return len(l.Cust) }

// Span returns the first and last time in the log (zero when empty).
func (l *Log) Span() (first, last int64) {
	if len(l.Time) == 0 {
		return 0, 0
	}
	first, last = math.MaxInt64, math.MinInt64
	for _, t := range l.Time {
		first = min(first, t)
		last = max(last, t)
	}
	return first, last
}

// Filter returns a log with the lines keep accepts, sharing the vocabularies.
func (l *Log) Filter(keep func(i int) bool) *Log {
	out := &Log{Customers: l.Customers, Products: l.Products, Invoices: l.Invoices, Countries: l.Countries}
	for i := range l.Cust {
		if !keep(i) {
			continue
		}
		out.Cust = append(out.Cust, l.Cust[i])
		out.Prod = append(out.Prod, l.Prod[i])
		out.Inv = append(out.Inv, l.Inv[i])
		out.Country = append(out.Country, l.Country[i])
		out.Time = append(out.Time, l.Time[i])
		out.Qty = append(out.Qty, l.Qty[i])
		out.Price = append(out.Price, l.Price[i])
	}
	return out
}
